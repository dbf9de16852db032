import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import { z } from 'zod';
import { http, type HttpResult } from '../helpers/hub-harness.js';
import { openSse } from '../helpers/sse-client.js';
import { rpcMethod } from './hapi-rpc-methods.js';
import { concretePath, routeId, type ErrorCase, type RouteSpec } from './routes/types.js';
import type { Call, Plane, World } from './world.js';

/** The answers every route of a plane gives a missing or bad credential (checked for each route). */
export const PLANE_ERRORS: Record<Exclude<Plane, 'none'>, Array<{ status: number; body: unknown; headers: Record<string, string>; when: string }>> = {
  cli: [
    { status: 401, body: { error: 'Missing Authorization header' }, headers: {}, when: 'no Authorization header' },
    { status: 401, body: { error: 'Invalid Authorization header' }, headers: { authorization: 'Token abc' }, when: 'not `Bearer <token>`' },
    { status: 401, body: { error: 'Invalid token' }, headers: { authorization: 'Bearer wrong-base:alice' }, when: 'wrong base token' },
  ],
  web: [
    { status: 401, body: { error: 'Missing authorization token' }, headers: {}, when: 'no Bearer JWT' },
    { status: 401, body: { error: 'Invalid token' }, headers: { authorization: 'Bearer not.a.jwt' }, when: 'a JWT that does not verify' },
  ],
};

function describeResult(r: HttpResult): string {
  return `${r.status} ${r.text.slice(0, 600)}`;
}

/** Checks `body` against an exact JSON value or a zod schema. */
export function expectBody(body: unknown, expected: unknown, what: string): void {
  if (expected instanceof z.ZodType) {
    const parsed = expected.safeParse(body);
    expect(parsed.success, `${what}: body does not match the schema: ${parsed.success ? '' : parsed.error.message}\nbody: ${JSON.stringify(body)?.slice(0, 800)}`).to.equal(true);
  } else {
    expect(body, what).to.deep.equal(expected);
  }
}

async function send(w: World, spec: RouteSpec, call: Call): Promise<HttpResult> {
  return w.request(spec.plane, spec.method, concretePath(spec.path, call.params), call);
}

/** Opens an SSE route the way EventSource does and answers its first frame as the body. */
async function firstFrame(w: World, spec: RouteSpec, call: Call): Promise<HttpResult> {
  const query = call.query && Object.keys(call.query).length ? `?${new URLSearchParams(call.query)}` : '';
  const token = spec.plane === 'web' ? w.jwt(call.who ?? 'alice') : undefined;
  const sse = await openSse(w.hub.url, `${concretePath(spec.path, call.params)}${query}`, { token, headers: call.headers });
  try {
    if (sse.status !== 200) return { status: sse.status, headers: sse.headers, text: '', json: undefined };
    const frame = await sse.waitFrame(() => true);
    return { status: sse.status, headers: sse.headers, text: JSON.stringify(frame.data), json: frame.data };
  } finally {
    sse.close();
  }
}

/** Sends the route without a credential and with bad ones; each must be refused with the plane's exact body. */
export async function checkPlaneErrors(w: World, spec: RouteSpec, call: Call): Promise<void> {
  if (spec.plane === 'none') return;
  for (const e of PLANE_ERRORS[spec.plane]) {
    const body = spec.method === 'GET' ? undefined : call.body ?? {};
    const r = await http(w.hub.url, spec.method, concretePath(spec.path, call.params), { headers: e.headers, body });
    expect(r.status, `${routeId(spec)} with ${e.when}: ${describeResult(r)}`).to.equal(e.status);
    expect(r.json, `${routeId(spec)} with ${e.when}`).to.deep.equal(e.body);
  }
}

/** Bob's credential on alice's request: exactly HAPI's refusal, and no RPC reaches alice's sockets. */
export async function checkForeign(w: World, spec: RouteSpec, call: Call): Promise<void> {
  const f = spec.foreign;
  if (f.kind === 'none' || f.kind === 'scoped') return;
  const target = spec.relay ? await spec.relay.target(w, call) : null;
  const before = target?.rpcs.length ?? 0;
  const asWho = f.kind === 'owner-only' ? (call.who === 'owner' || call.who === 'admin' ? 'alice' : call.who ?? 'alice') : 'bob';
  const r = await send(w, spec, { ...call, who: asWho });
  expect(r.status, `${routeId(spec)} as ${asWho} on alice's request: ${describeResult(r)}`).to.equal(f.status);
  expectBody(r.json, f.body, `${routeId(spec)} as ${asWho}`);
  if (target) expect(target.rpcs.length, `${routeId(spec)}: bob's refused request relayed an RPC`).to.equal(before);
}

/** Each error case that has a way to provoke it: the exact status and body. */
export async function checkErrors(w: World, spec: RouteSpec): Promise<number> {
  let n = 0;
  for (const e of spec.errors as ErrorCase[]) {
    if (!e.call) continue;
    const call = await e.call(w);
    const r = await send(w, spec, call);
    expect(r.status, `${routeId(spec)} when ${e.when}: ${describeResult(r)}`).to.equal(e.status);
    expectBody(r.json, e.body, `${routeId(spec)} when ${e.when}`);
    n += 1;
  }
  return n;
}

/** The valid request: status, HAPI's schema, the route's own checks, and the RPC the stand-in got. */
export async function checkSuccess(w: World, spec: RouteSpec, call: Call): Promise<HttpResult> {
  const target = spec.relay ? await spec.relay.target(w, call) : null;
  const before = target?.rpcs.length ?? 0;
  const r = spec.ok.stream ? await firstFrame(w, spec, call) : await send(w, spec, call);
  expect(r.status, `${routeId(spec)}: ${describeResult(r)}`).to.equal(spec.ok.status);
  const body = spec.ok.binary ? { contentType: r.headers.get('content-type'), bytes: r.text.length } : r.json;
  expectBody(body, spec.ok.schema, routeId(spec));
  if (spec.relay && target) {
    const relay = spec.relay;
    const got = target.rpcs.slice(before).find((c) => c.method === relay.method);
    expect(got, `${routeId(spec)}: the ${relay.scope} stand-in received no ${relay.method} (got ${target.rpcs.slice(before).map((c) => c.method).join(', ') || 'nothing'})`).to.not.equal(undefined);
    expect(got!.fullMethod, `${routeId(spec)}: RPC name`).to.equal(`${target.id}:${relay.method}`);
    const paramsSchema = rpcMethod(relay.scope, relay.method).params;
    expectBody(got!.params, paramsSchema, `${routeId(spec)}: ${relay.method} params`);
    if (relay.params) {
      const expected = await relay.params(w, call);
      expect(isDeepStrictEqual(got!.params, expected), `${routeId(spec)}: ${relay.method} params ${JSON.stringify(got!.params)} != ${JSON.stringify(expected)}`).to.equal(true);
    }
  }
  if (spec.ok.check) await spec.ok.check(body, w, call, r);
  return r;
}

/** After success: bob's own request must not show or change alice's data. */
export async function checkScoped(w: World, spec: RouteSpec, call: Call): Promise<void> {
  const f = spec.foreign;
  if (f.kind !== 'scoped') return;
  const bobCall = f.bobCall ? await f.bobCall(w, call) : { ...call, who: 'bob' as const };
  const r = await send(w, spec, bobCall);
  await f.check(r, w, call);
}

/** Everything the table says about one route, against the hub the world talks to. */
export async function exerciseRoute(w: World, spec: RouteSpec): Promise<void> {
  const call = await spec.call(w);
  await checkPlaneErrors(w, spec, call);
  await checkForeign(w, spec, call);
  await checkErrors(w, spec);
  await checkSuccess(w, spec, call);
  await checkScoped(w, spec, call);
}
