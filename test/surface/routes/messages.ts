import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { waitFor } from '../../helpers/ports.js';
import { CancelMessageResponse, DecryptedMessage, MessagesPage, RetryMessageResponse, SteerQueuedMessageResponse } from '../hapi-shapes.js';
import type { SessionFixture, World } from '../world.js';
import { denied, inactive, notFound } from './sessions.js';
import type { RouteSpec } from './types.js';

/*
 * Messages (hub/src/web/routes/messages.ts) and permission answers (permissions.ts), web plane.
 * A web message is stored as `{role:"user", content:{type:"text", text, attachments}, meta:{sentFrom:"webapp",
 * deliveryMode}}` and goes to the CLI as `update {t:"new-message"}` unless scheduled for later; it
 * stays queued (invokedAt null) until the CLI sends messages-consumed.
 */

const flattened = z.object({ formErrors: z.array(z.string()), fieldErrors: z.record(z.string(), z.array(z.string())) });
const invalidBody = z.object({ error: z.literal('Invalid body'), issues: flattened });

/** A message waiting in the queue of `key`'s session (posted by the web, not yet consumed). */
function queued(w: World, key: string, opts = {}): Promise<{ session: SessionFixture; localId: string; messageId: string }> {
  return w.once(`queued:${key}`, async () => {
    const session = await w.session(key, opts);
    return { session, ...(await w.postMessage(session)) };
  });
}

/** A queued message the CLI reported indeterminate (its steer outcome is unknown). */
function indeterminate(w: World): Promise<{ session: SessionFixture; localId: string; messageId: string }> {
  return w.once('indeterminate', async () => {
    const q = await queued(w, 'retry-src');
    q.session.standIn!.emit('messages-indeterminate', { sid: q.session.id, localIds: [q.localId] });
    await waitFor(async () => {
      const r = await w.request('web', 'POST', `/api/sessions/${q.session.id}/messages/queued-state`, { body: { localIds: [q.localId] } });
      return (r.json?.indeterminateLocalIds as string[] | undefined)?.includes(q.localId);
    }, { what: 'message indeterminate' });
    return q;
  });
}

export const MESSAGE_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/sessions/:id/messages',
    module: 'messages',
    plane: 'web',
    summary: 'A page of messages with a cursor: latest (default 50, max 200), `beforeSeq+beforeAt`, or `afterSeq+afterAt [+untilSeq+untilAt, epoch]`; queued ones come with the latest page',
    call: async (w) => {
      const q = await queued(w, 'history');
      return { params: { id: q.session.id }, query: { limit: '50' } };
    },
    ok: {
      status: 200,
      schema: z.object({ messages: z.array(DecryptedMessage), page: MessagesPage }),
      check: async (body, w) => {
        const q = await queued(w, 'history');
        expect(body.page.direction).to.equal('latest');
        const m = body.messages.find((x: { localId: string | null }) => x.localId === q.localId);
        expect(m, 'the queued message is on the latest page').to.include({ invokedAt: null, scheduledAt: null });
        expect(m.content).to.deep.equal({ role: 'user', content: { type: 'text', text: 'hello from the surface test' }, meta: { sentFrom: 'webapp', deliveryMode: 'queue' } });
      },
    },
    errors: [
      {
        status: 400,
        body: z.object({ error: z.literal('Invalid query'), issues: flattened }),
        when: 'beforeSeq without beforeAt (also: until without after, epoch without after, limit over 200)',
        call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { beforeSeq: '3' } }),
      },
      notFound(),
    ],
    foreign: denied,
  },
  {
    method: 'DELETE',
    path: '/api/sessions/:id/messages/:messageId',
    module: 'messages',
    plane: 'web',
    summary: 'Cancel a queued message: with a CLI connected it is asked first (`update {t:"cancel-queued-message"}`, 500 ms ack)',
    call: async (w) => {
      const q = await queued(w, 'cancel-src');
      return { params: { id: q.session.id, messageId: q.messageId } };
    },
    ok: {
      status: 200,
      schema: CancelMessageResponse,
      check: async (body, w) => {
        const q = await queued(w, 'cancel-src');
        expect(body).to.deep.equal({ status: 'cancelled', localId: q.localId });
        const update = await q.session.standIn!.waitUpdate('cancel-queued-message');
        expect(update.body).to.deep.equal({ t: 'cancel-queued-message', sid: q.session.id, messageId: q.messageId, localId: q.localId });
      },
    },
    errors: [
      { status: 200, body: { status: 'cancelled', localId: null }, when: 'no such message (nothing to cancel)', unknownParam: 'messageId', call: async (w) => ({ params: { id: (await w.session('claude')).id, messageId: randomUUID() } }) },
      { status: 200, body: z.object({ status: z.literal('busy'), localId: z.string() }), when: 'the CLI is dispatching it, or did not confirm removal (it turns indeterminate)' },
    ],
    foreign: denied,
    notes: ['Always 200: the outcome is in `status` (cancelled / invoked / busy).'],
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/messages/:messageId/steer',
    module: 'messages',
    plane: 'web',
    summary: 'Send a queued message into the running turn now (Codex, Pi, Cursor ACP; remote sessions only)',
    call: async (w) => {
      const q = await queued(w, 'steer-src', { flavor: 'codex' });
      return { params: { id: q.session.id, messageId: q.messageId } };
    },
    ok: {
      status: 200,
      schema: SteerQueuedMessageResponse,
      check: async (body, w) => expect(body).to.deep.equal({ status: 'steered', localId: (await queued(w, 'steer-src', { flavor: 'codex' })).localId }),
    },
    relay: {
      scope: 'session',
      method: 'steer-queued-message',
      target: async (w) => (await queued(w, 'steer-src', { flavor: 'codex' })).session.standIn!,
      params: async (w) => ({ localId: (await queued(w, 'steer-src', { flavor: 'codex' })).localId }),
    },
    errors: [
      {
        status: 200,
        body: { status: 'failed', error: 'Steering is only supported for Pi, Codex, and Cursor ACP sessions', localId: null },
        when: 'a Claude session',
        call: async (w) => ({ params: { id: (await w.session('claude')).id, messageId: randomUUID() } }),
      },
      { status: 200, body: { status: 'failed', error: 'Message not found', localId: null }, when: 'unknown message', unknownParam: 'messageId', call: async (w) => ({ params: { id: (await w.session('codex', { flavor: 'codex' })).id, messageId: randomUUID() } }) },
      inactive(undefined, { messageId: 'any' }),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/messages/:messageId/retry',
    module: 'messages',
    plane: 'web',
    summary: 'Retry an indeterminate message: the CLI confirms it does not hold it, then gets `update {t:"retry-queued-message"}` and must accept',
    call: async (w) => {
      const q = await indeterminate(w);
      return { params: { id: q.session.id, messageId: q.messageId } };
    },
    ok: {
      status: 200,
      schema: RetryMessageResponse,
      check: async (body, w) => {
        const q = await indeterminate(w);
        expect(body).to.deep.equal({ status: 'retried', localId: q.localId });
        const update = await q.session.standIn!.waitUpdate('retry-queued-message');
        expect(update.body).to.include({ t: 'retry-queued-message', sid: q.session.id, messageId: q.messageId, localId: q.localId });
      },
    },
    errors: [
      { status: 200, body: { status: 'not-found' }, when: 'no such message', unknownParam: 'messageId', call: async (w) => ({ params: { id: (await w.session('claude')).id, messageId: randomUUID() } }) },
      {
        status: 200,
        body: z.object({ status: z.literal('already-queued'), localId: z.string() }),
        when: 'the message is still plainly queued',
        call: async (w) => {
          const q = await queued(w, 'history');
          return { params: { id: q.session.id, messageId: q.messageId } };
        },
      },
      { status: 200, body: z.object({ status: z.literal('retry-unavailable'), localId: z.string() }), when: 'not exactly one CLI socket in the session room, or it did not accept' },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/messages/queued-state',
    module: 'messages',
    plane: 'web',
    summary: 'Which of these localIds are still queued, indeterminate, or invoked (and when)',
    call: async (w) => {
      const q = await queued(w, 'history');
      return { params: { id: q.session.id }, body: { localIds: [q.localId, 'never-sent'] } };
    },
    ok: {
      status: 200,
      schema: z.object({ queuedLocalIds: z.array(z.string()), indeterminateLocalIds: z.array(z.string()), invokedLocalMessages: z.array(z.object({ localId: z.string(), invokedAt: z.number() })) }),
      check: async (body, w) => expect(body).to.deep.equal({ queuedLocalIds: [(await queued(w, 'history')).localId], indeterminateLocalIds: [], invokedLocalMessages: [] }),
    },
    errors: [{ status: 400, body: invalidBody, when: 'localIds missing or over 1000', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { localIds: 'x' } }) }],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/messages',
    module: 'messages',
    plane: 'web',
    summary: 'Send a message (text, attachments, localId for idempotency, scheduledAt up to 7 days ahead, deliveryMode queue/steer)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { text: 'please run the tests', localId: `local-${randomBytes(6).toString('hex')}` } }),
    ok: {
      status: 200,
      schema: z.object({ ok: z.literal(true) }),
      check: async (_b, w, call) => {
        const s = await w.session('claude');
        const localId = (call.body as { localId: string }).localId;
        const update = await s.standIn!.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === localId);
        expect((update.body.message as { content: unknown }).content).to.deep.equal({ role: 'user', content: { type: 'text', text: 'please run the tests' }, meta: { sentFrom: 'webapp', deliveryMode: 'queue' } });
      },
    },
    errors: [
      { status: 400, body: invalidBody, when: 'text missing, scheduledAt without localId, over 7 days, with attachments, or with steer', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { text: 'x', scheduledAt: Date.now() + 60_000 } }) },
      { status: 400, body: { error: 'Message requires text or attachments' }, when: 'empty text and no attachments', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { text: '' } }) },
      inactive({ text: 'hi' }),
      notFound(),
    ],
    foreign: denied,
    notes: [
      'A future scheduledAt is stored but not sent to the CLI; the 5 s sweep sends it when due and emits SSE scheduled-matured once.',
      'deliveryMode steer is kept only for Pi sessions; everything else is stored as queue.',
    ],
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/permissions/:requestId/approve',
    module: 'permissions',
    plane: 'web',
    summary: 'Approve a pending permission request (optionally a permission mode, allowed tools, a decision, answers for question tools)',
    call: async (w) => {
      const s = await w.session('claude');
      const requestId = await w.once('approve-request', () => w.permissionRequest(s));
      return { params: { id: s.id, requestId }, body: { decision: 'approved_for_session', allowTools: ['Bash'] } };
    },
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    relay: {
      scope: 'session',
      method: 'permission',
      target: async (w) => (await w.session('claude')).standIn!,
      params: (_w, call) => ({ id: call.params!.requestId, approved: true, allowTools: ['Bash'], decision: 'approved_for_session' }),
    },
    errors: [
      { status: 404, body: { error: 'Request not found' }, when: 'the id is not in agentState.requests', call: async (w) => ({ params: { id: (await w.session('claude')).id, requestId: 'nope' }, body: {} }) },
      {
        status: 400,
        body: { error: 'Invalid permission mode for session flavor' },
        when: 'a mode the flavor does not have',
        call: async (w) => {
          const s = await w.session('claude');
          return { params: { id: s.id, requestId: await w.once('approve-request', () => w.permissionRequest(s)) }, body: { mode: 'yolo' } };
        },
      },
      {
        status: 400,
        body: { error: 'Invalid body' },
        when: 'a field of the wrong type',
        call: async (w) => {
          const s = await w.session('claude');
          return { params: { id: s.id, requestId: await w.once('approve-request', () => w.permissionRequest(s)) }, body: { decision: 'maybe' } };
        },
      },
      { status: 409, body: { error: 'Session is inactive', code: 'session_inactive' }, when: 'the session has no live CLI', call: async (w) => ({ params: { id: (await w.session('idle', { live: false })).id, requestId: 'r' }, body: {} }) },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/permissions/:requestId/deny',
    module: 'permissions',
    plane: 'web',
    summary: 'Deny a pending permission request (decision denied or abort)',
    call: async (w) => {
      const s = await w.session('claude');
      const requestId = await w.once('deny-request', () => w.permissionRequest(s, 'Write'));
      return { params: { id: s.id, requestId }, body: { decision: 'denied' } };
    },
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    relay: { scope: 'session', method: 'permission', target: async (w) => (await w.session('claude')).standIn!, params: (_w, call) => ({ id: call.params!.requestId, approved: false, decision: 'denied' }) },
    errors: [{ status: 404, body: { error: 'Request not found' }, when: 'the id is not in agentState.requests', call: async (w) => ({ params: { id: (await w.session('claude')).id, requestId: 'nope' }, body: {} }) }],
    foreign: denied,
  },
];
