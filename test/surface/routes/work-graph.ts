import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { WorkGraphEvent, WorkGraphLink } from '../hapi-shapes.js';
import type { Call, World } from '../world.js';
import type { RouteSpec } from './types.js';

/*
 * The work graph (hub/src/web/routes/workGraph.ts, store/workGraph.ts): events about work (a
 * source, a sink, a type, a summary, payload ≤ 32 KiB) linked to sessions and to each other, kept
 * per namespace. Always on in HAPI 0.30.7 (/health capabilities.workGraph: true). A principal must
 * be accountable to the authenticated user: `{kind:"human", id:"<uid>"}` or an agent/service acting
 * `on_behalf_of` it; the uid is the JWT's (HAPI has one owner uid for every namespace). Bodies over
 * 64 KiB: 413 `{"error":"Request body too large"}`. Agents' notify summaries are ingested as events
 * with provenance AGENT_NOTIFY_SUMMARY, which clients may not use.
 */

/** The uid in `who`'s JWT (what a principal must name). */
function uid(w: World, who: 'alice' | 'bob' = 'alice'): string {
  return String(JSON.parse(Buffer.from(w.jwt(who).split('.')[1]!, 'base64url').toString('utf8')).uid);
}

function eventBody(w: World, sessionId: string, extra: Record<string, unknown> = {}) {
  return { source_kind: 'surface-test', source_ref: `ref-${randomBytes(4).toString('hex')}`, event_type: 'note', summary: 'checked the surface', related_session_id: sessionId, principal: { kind: 'human', id: uid(w) }, ...extra };
}

/** An event of alice's, related to her main session. */
function event(w: World, key = 'a'): Promise<z.infer<typeof WorkGraphEvent>> {
  return w.once(`work-graph-event:${key}`, async () => {
    const s = await w.session('claude');
    const r = await w.request('web', 'POST', '/api/work-graph/events', { body: eventBody(w, s.id) });
    if (r.status !== 201) throw new Error(`work-graph event ${r.status} ${r.text}`);
    return r.json.event;
  });
}

const eventNotFound = { kind: 'denied', status: 404, body: { error: 'Event not found' }, note: 'events are looked up within the caller\'s namespace: another namespace\'s id is simply not found' } as const;
const flattened = z.object({ formErrors: z.array(z.string()), fieldErrors: z.record(z.string(), z.array(z.string())) });

export const WORK_GRAPH_ROUTES: RouteSpec[] = [
  {
    method: 'POST',
    path: '/api/work-graph/events',
    module: 'workGraph',
    plane: 'web',
    summary: 'Record an event (201; the same idempotency_key again answers 200 with the first event, inserted:false)',
    call: async (w) => ({ body: eventBody(w, (await w.session('claude')).id, { idempotency_key: 'surface-once', tags: ['surface'] }) }),
    ok: {
      status: 201,
      schema: z.object({ event: WorkGraphEvent, inserted: z.literal(true) }),
      check: (body) => expect(body.event).to.include({ namespace: 'alice', eventType: 'note', idempotencyKey: 'surface-once' }),
    },
    errors: [
      { status: 400, body: z.object({ error: z.literal('Invalid body'), issues: flattened }), when: 'a required field missing', call: async () => ({ body: { event_type: 'x' } }) },
      { status: 403, body: { error: 'Principal must resolve to the authenticated hub owner' }, when: 'a principal naming another user', call: async (w) => ({ body: eventBody(w, 's', { principal: { kind: 'human', id: 'someone-else' } }) }) },
      { status: 400, body: { error: 'Reserved provenance' }, when: 'provenance AGENT_NOTIFY_SUMMARY', call: async (w) => ({ body: eventBody(w, 's', { provenance: 'AGENT_NOTIFY_SUMMARY' }) }) },
    ],
    foreign: {
      kind: 'scoped',
      note: 'bob\'s event is his: alice\'s list for the same session id does not show it',
      bobCall: async (w, aliceCall: Call) => ({ who: 'bob', body: { ...(aliceCall.body as object), idempotency_key: 'bob-once', principal: { kind: 'human', id: uid(w, 'bob') } } }),
      check: async (bob, w, aliceCall) => {
        expect(bob.status).to.equal(201);
        expect(bob.json.event.namespace).to.equal('bob');
        const sessionId = (aliceCall.body as { related_session_id: string }).related_session_id;
        const alice = await w.request('web', 'GET', '/api/work-graph/events', { query: { related_session_id: sessionId } });
        expect(alice.json.events.map((e: { id: string }) => e.id)).to.not.include(bob.json.event.id);
      },
    },
  },
  {
    method: 'GET',
    path: '/api/work-graph/events',
    module: 'workGraph',
    plane: 'web',
    summary: 'Events related to a session (`related_session_id` required, `limit`)',
    call: async (w) => {
      await event(w);
      return { query: { related_session_id: (await w.session('claude')).id, limit: '10' } };
    },
    ok: { status: 200, schema: z.object({ events: z.array(WorkGraphEvent) }), check: async (body, w) => expect(body.events.map((e: { id: string }) => e.id)).to.include((await event(w)).id) },
    errors: [
      { status: 400, body: { error: 'related_session_id query parameter is required' }, when: 'no related_session_id', call: async () => ({}) },
      { status: 400, body: { error: 'Invalid limit' }, when: 'limit not a positive integer', call: async () => ({ query: { related_session_id: 'x', limit: '0' } }) },
    ],
    foreign: {
      kind: 'scoped',
      note: 'bob asking for events of alice\'s session id gets an empty list',
      check: (bob) => {
        expect(bob.status).to.equal(200);
        expect(bob.json.events.filter((e: { namespace: string }) => e.namespace !== 'bob')).to.deep.equal([]);
      },
    },
  },
  {
    method: 'GET',
    path: '/api/work-graph/events/:eventId',
    module: 'workGraph',
    plane: 'web',
    summary: 'One event',
    call: async (w) => ({ params: { eventId: (await event(w)).id } }),
    ok: { status: 200, schema: z.object({ event: WorkGraphEvent }) },
    errors: [{ status: 404, body: { error: 'Event not found' }, when: 'unknown id', call: async () => ({ params: { eventId: 'nope' } }) }],
    foreign: eventNotFound,
  },
  {
    method: 'POST',
    path: '/api/work-graph/event-links',
    module: 'workGraph',
    plane: 'web',
    summary: 'Link two events of the namespace (relation type, metadata ≤ 32 KiB)',
    call: async (w) => ({ body: { from_event_id: (await event(w)).id, to_event_id: (await event(w, 'b')).id, relation_type: 'follows' } }),
    ok: { status: 201, schema: z.object({ link: WorkGraphLink }), check: (body) => expect(body.link).to.include({ namespace: 'alice', relationType: 'follows' }) },
    errors: [
      { status: 400, body: z.object({ error: z.literal('Invalid body'), issues: flattened }), when: 'relation_type missing', call: async () => ({ body: { from_event_id: 'a', to_event_id: 'b' } }) },
      { status: 404, body: z.object({ error: z.string(), code: z.string() }), when: 'an event id not in the namespace', call: async (w) => ({ body: { from_event_id: (await event(w)).id, to_event_id: 'nope', relation_type: 'x' } }) },
    ],
    foreign: {
      kind: 'scoped',
      note: 'bob linking alice\'s events: 404 (they are not in his namespace)',
      check: (bob) => expect(bob.status).to.equal(404),
    },
  },
  {
    method: 'GET',
    path: '/api/work-graph/events/:eventId/links',
    module: 'workGraph',
    plane: 'web',
    summary: 'The links from and to an event',
    call: async (w) => ({ params: { eventId: (await event(w)).id } }),
    ok: { status: 200, schema: z.object({ links: z.array(WorkGraphLink) }) },
    errors: [{ status: 404, body: { error: 'Event not found' }, when: 'unknown id', call: async () => ({ params: { eventId: 'nope' } }) }],
    foreign: eventNotFound,
  },
];
