import type { z } from 'zod';
import type { HttpResult } from '../../helpers/hub-harness.js';
import type { RpcScope } from '../hapi-rpc-methods.js';
import type { StandIn } from '../stand-ins.js';
import type { Call, Plane, World } from '../world.js';

/** One error answer of a route: status and exact body (or a schema where a part varies). */
export interface ErrorCase {
  status: number;
  body: unknown;
  when: string;
  /** How the test provokes it; absent when it needs a state the test cannot make (noted in `when`). */
  call?: (w: World) => Promise<Call>;
  /**
   * The path parameter for which this is HAPI's answer to a value that names nothing (an unknown
   * or malformed id): HAPI looks the id up as given and answers here, a 200 with the outcome in
   * its body for the queued-message routes. The bad-input tier takes it as that id's refusal.
   */
  unknownParam?: string;
}

/** The RPC a route relays: the stand-in that must receive it and the params HAPI sends. */
export interface RelayCheck {
  scope: RpcScope;
  method: string;
  /** The stand-in expected to receive the call. */
  target: (w: World, call: Call) => Promise<StandIn>;
  /** The exact params (compared deeply); the table's params schema is always checked too. */
  params?: (w: World, call: Call) => unknown | Promise<unknown>;
}

/**
 * The second-namespace check: bob's credential on alice's data.
 * - `denied`: bob sends alice's request (same ids) and gets exactly this answer.
 * - `scoped`: the route has no foreign id; bob's own request must not show or touch alice's data.
 * - `owner-only`: HAPI serves it to the default namespace (the hub owner) only; teammates get this.
 * - `none`: nothing namespaced is involved (why says so).
 */
export type ForeignCheck =
  | { kind: 'denied'; status: number; body: unknown; note?: string }
  | { kind: 'scoped'; bobCall?: (w: World, aliceCall: Call) => Promise<Call>; check: (bob: HttpResult, w: World, aliceCall: Call) => unknown; note: string }
  | { kind: 'owner-only'; status: number; body: unknown; note?: string }
  | { kind: 'none'; why: string };

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path as HAPI declares it (`/api/sessions/:id/git-status`). */
  path: string;
  /** The hub source module (`hub/src/web/routes/<module>.ts`). */
  module: string;
  plane: Plane;
  summary: string;
  /** A valid request; path params fill the `:name` segments. */
  call: (w: World) => Promise<Call>;
  ok: {
    status: number;
    /** HAPI's response schema (for a non-JSON answer, the schema of `{contentType, bytes}`). */
    schema: z.ZodType;
    /** The body is not JSON (an image, an attachment). */
    binary?: boolean;
    /** An SSE stream: the schema applies to its first frame's data. */
    stream?: boolean;
    /** More checks a client relies on (an exact value, an effect seen elsewhere). */
    check?: (body: any, w: World, call: Call, res: HttpResult) => unknown;
  };
  /**
   * When the request the test sends cannot reach HAPI's success answer without something no hub
   * test can provide (a Cursor chat store on the hub's disk, a title provider, a Codex desktop
   * app…), `ok` is the deterministic answer it gets instead and this records the success shape.
   */
  untestedSuccess?: { status: number; schema: z.ZodType; why: string };
  relay?: RelayCheck;
  errors: ErrorCase[];
  foreign: ForeignCheck;
  /** A feature HAPI has off unless configured: what it answers without configuration. */
  configuredOff?: string;
  /** Where teamhub must behave differently from HAPI (stricter isolation, owner-only via admin token…). */
  teamhub?: string;
  notes?: string[];
}

/** `METHOD /path` of a spec. */
export function routeId(spec: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${spec.method} ${spec.path}`;
}

/** The concrete path of a call (`:id` replaced by its param). */
export function concretePath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:(\w+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path param ${name} for ${path}`);
    return encodeURIComponent(v);
  });
}
