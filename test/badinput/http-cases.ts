import type { z } from 'zod';
import { BAD_FIELD_VALUES, BAD_PATH_IDS, BAD_QUERY_VALUES, nestedJson } from './bad-values.js';
import type { RawRequest } from './raw-http.js';

/** How a route authenticates in these cases. */
export type CasePlane = 'cli' | 'web' | 'admin' | 'none';

/** One route with a valid request to mutate, and what is known about its input. */
export interface RouteTarget {
  /** `METHOD /path/:param`. */
  id: string;
  method: string;
  path: string;
  plane: CasePlane;
  /** The credential of the valid request (access token, web JWT or admin token). */
  credential?: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The valid JSON body (undefined: the route takes none). */
  body?: unknown;
  /** The gateway's zod schema for the body or query, when known: a mutation it refuses must be a 4xx. */
  bodySchema?: z.ZodType;
  querySchema?: z.ZodType;
  /** A second namespace's id for each id parameter (bob's session or machine); none for hub administration. */
  foreignIds: Record<string, string>;
  /** The answers HAPI's table declares for the route (its errors and its success), 5xx ones included. */
  declared: Array<{ status: number; body: unknown }>;
  /**
   * HAPI's table's answer to a path parameter that names nothing, by parameter, where it is not a
   * 4xx: a 200 whose body tells the outcome (`{status:'not-found'}` for an unknown message on retry).
   */
  unknownIdAnswers: Record<string, Array<{ status: number; body: unknown }>>;
}

/**
 * `refused`: the request is bad by the route's schema or by the edge's rules; it must get a 4xx
 * JSON error. `handled`: it may be valid (an extra key, text a document may hold); any answer
 * but a 5xx, a hang or a non-JSON error will do.
 */
export type Expectation = 'refused' | 'handled';

export interface HttpCase {
  route: string;
  what: string;
  req: RawRequest;
  expect: Expectation;
  /** The status it must have exactly (413 for an oversized body). */
  status?: number;
  /**
   * The answers that count as this case's refusal besides a 4xx: for an unknown or malformed path
   * id, HAPI's table's answer to an id that names nothing (`RouteTarget.unknownIdAnswers`), which
   * teamhub follows. (Never for credentials or another namespace's id.)
   */
  refusedAlsoBy?: Array<{ status: number; body: unknown }>;
}

const PLACEHOLDER = '"__badinput_placeholder__"';
const ID_PARAMS = /^(id|sessionId|machineId|messageId|requestId)$/;

function concrete(path: string, params: Record<string, string>, raw: Record<string, string> = {}): string {
  return path.replace(/:(\w+)/g, (_, name: string) => raw[name] ?? encodeURIComponent(params[name] ?? ''));
}

function queryString(q: Record<string, string>, raw: Record<string, string> = {}): string {
  const parts = [
    ...Object.entries(q).filter(([k]) => !(k in raw)).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    ...Object.entries(raw).map(([k, v]) => `${encodeURIComponent(k)}=${v}`),
  ];
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function authHeader(t: RouteTarget): Record<string, string> {
  // The credential's UTF-8 bytes, written as latin1 characters: what a client puts on the wire.
  return t.credential === undefined ? {} : { authorization: Buffer.from(`Bearer ${t.credential}`, 'utf8').toString('latin1') };
}

/** Does `schema` refuse this JSON text? (A text it cannot parse is refused.) */
function schemaRefuses(schema: z.ZodType | undefined, json: string): boolean | undefined {
  if (!schema) return undefined;
  try {
    return !schema.safeParse(JSON.parse(json)).success;
  } catch {
    return true;
  }
}

/** Every bad-input case for one route, generated from its valid request. */
export function httpCases(t: RouteTarget, maxBodyBytes: number): HttpCase[] {
  const cases: HttpCase[] = [];
  const hasBody = t.body !== undefined && t.method !== 'GET';
  const base = (over: Partial<RawRequest> & { params?: Record<string, string>; query?: Record<string, string> } = {}): RawRequest => ({
    method: t.method,
    target: `${concrete(t.path, t.params, over.params)}${queryString(t.query, over.query)}`,
    headers: { ...authHeader(t), ...(hasBody ? { 'content-type': 'application/json' } : {}), ...over.headers },
    body: over.body ?? (hasBody ? JSON.stringify(t.body) : undefined),
    declaredLength: over.declaredLength,
  });
  const add = (what: string, req: RawRequest, expect: Expectation, status?: number, refusedAlsoBy?: HttpCase['refusedAlsoBy']) =>
    cases.push({ route: t.id, what, req, expect, status, ...(refusedAlsoBy?.length ? { refusedAlsoBy } : {}) });

  // The body, field by field: each top-level key missing, and replaced by each bad value.
  if (hasBody && typeof t.body === 'object' && t.body !== null && !Array.isArray(t.body)) {
    const body = t.body as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      const { [key]: _dropped, ...rest } = body;
      const without = JSON.stringify(rest);
      add(`body without ${key}`, base({ body: without }), schemaRefuses(t.bodySchema, without) ? 'refused' : 'handled');
      const template = JSON.stringify({ ...rest, [key]: '__badinput_placeholder__' });
      for (const bad of BAD_FIELD_VALUES) {
        const text = template.replace(PLACEHOLDER, bad.json);
        const refused = bad.alwaysRefused || schemaRefuses(t.bodySchema, text) === true;
        add(`body.${key} = ${bad.name}`, base({ body: text }), refused ? 'refused' : 'handled');
      }
    }
    const valid = JSON.stringify(body).slice(1, -1);
    const extra = (text: string) => `{${valid}${valid ? ',' : ''}${text}}`;
    add('body with an extra __proto__ key', base({ body: extra('"__proto__":{"isAdmin":true}') }), 'handled');
    add('body with an extra $where key', base({ body: extra('"$where":"this.namespace != null"') }), 'handled');
  }
  if (hasBody || t.method !== 'GET') {
    // The body as a whole, and how it is declared.
    // A route whose valid request has no body (or an empty one) may ignore an unreadable one, as HAPI's do
    // (`c.req.json().catch(() => null)`); one that reads a body must refuse it.
    const readsFields = hasBody && typeof t.body === 'object' && t.body !== null && Object.keys(t.body).length > 0;
    const unreadable: Expectation = readsFields ? 'refused' : 'handled';
    add('body that is not JSON', base({ body: '{"unterminated": ', headers: { 'content-type': 'application/json' } }), unreadable);
    add('body of invalid UTF-8', base({ body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: { 'content-type': 'application/json' } }), unreadable);
    add('body nested 100,000 deep', base({ body: nestedJson(100_000), headers: { 'content-type': 'application/json' } }), 'refused');
    add('body that is a JSON array', base({ body: '[1,2,3]', headers: { 'content-type': 'application/json' } }), 'handled');
    add('body that is JSON null', base({ body: 'null', headers: { 'content-type': 'application/json' } }), 'handled');
    // Fastify reads text/plain as a string: a route that needs a JSON body refuses it, one that takes none ignores it.
    add('body as text/plain', base({ body: JSON.stringify(t.body ?? {}), headers: { 'content-type': 'text/plain' } }), 'handled');
    add('body as a form', base({ body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), unreadable);
    add('body as broken multipart', base({ body: '--x\r\nnot a part', headers: { 'content-type': 'multipart/form-data; boundary=x' } }), unreadable);
    add(`body declared larger than the limit (${maxBodyBytes + 1} bytes)`, base({ body: '', declaredLength: maxBodyBytes + 1, headers: { 'content-type': 'application/json' } }), 'refused', 413);
  }

  // The query, parameter by parameter.
  for (const key of Object.keys(t.query)) {
    for (const bad of BAD_QUERY_VALUES) {
      const raw = { [key]: bad.raw };
      const decoded = (() => {
        try {
          return decodeURIComponent(bad.raw);
        } catch {
          return undefined;
        }
      })();
      const refused = t.querySchema && decoded !== undefined ? !t.querySchema.safeParse({ ...t.query, [key]: decoded }).success : false;
      add(`query ${key} = ${bad.name}`, base({ query: raw }), refused ? 'refused' : 'handled');
    }
    add(`query ${key} given twice`, { ...base(), target: `${base().target}&${encodeURIComponent(key)}=1` }, 'handled');
  }
  add('query with __proto__[polluted]', { ...base(), target: `${base().target}${base().target.includes('?') ? '&' : '?'}__proto__%5Bpolluted%5D=1&constructor%5Bprototype%5D%5Bx%5D=1` }, 'handled');

  // Ids in the path: another namespace's, unknown and malformed ones.
  for (const param of Object.keys(t.params).filter((p) => ID_PARAMS.test(p))) {
    const foreign = t.foreignIds[param];
    if (foreign) add(`:${param} of another namespace`, base({ params: { [param]: encodeURIComponent(foreign) } }), 'refused');
    // Hub administration spans namespaces, and forgetting an unknown machine is a no-op there.
    for (const bad of BAD_PATH_IDS) add(`:${param} = ${bad.name}`, base({ params: { [param]: bad.raw } }), t.plane === 'admin' ? 'handled' : 'refused', undefined, t.unknownIdAnswers[param]);
  }

  // The credential.
  if (t.plane !== 'none') {
    const withAuth = (value: string | undefined): RawRequest => {
      const req = base();
      const headers = { ...req.headers };
      delete headers.authorization;
      if (value !== undefined) headers.authorization = value;
      return { ...req, headers };
    };
    add('no Authorization header', withAuth(undefined), 'refused');
    add('Authorization of another scheme', withAuth('Basic YWxpY2U6c2VjcmV0'), 'refused');
    add('Authorization "Bearer" with nothing after it', withAuth('Bearer'), 'refused');
    add('Authorization with control characters', withAuth(`Bearer ${t.credential ?? 'x'}\u0001\u0002`), 'refused');
    add('Authorization of invalid UTF-8 bytes', withAuth('Bearer base:\xff\xfe'), 'refused');
    add('Authorization with a lone surrogate as bytes', withAuth(`Bearer ${t.credential?.split(':')[0] ?? 'x'}:a\xed\xa0\x80`), 'refused');
    add('Authorization of 12 KiB', withAuth(`Bearer ${'x'.repeat(12 * 1024)}`), 'refused');
    add('Authorization with an operator-looking token', withAuth('Bearer {"$ne":null}'), 'refused');
  }
  add('an X-Request-Id of 500 characters and markup', { ...base(), headers: { ...base().headers, 'x-request-id': `<script>${'y'.repeat(500)}` } }, 'handled');
  return cases;
}
