import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { waitFor } from '../helpers/ports.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { SSE_EVENTS, parseSseEvent } from './hapi-sse-events.js';
import type { World } from './world.js';

/*
 * Live checks of the SSE surface in hapi-sse-events.ts. The test opens alice's and bob's
 * `all=true` streams before anything else, so every event the route and socket checks cause is
 * seen; these checks add the events no route causes directly (scheduled-matured, toast, heartbeat)
 * and then judge everything both streams received.
 */

export interface Streams {
  alice: SseClient;
  bob: SseClient;
  /** Alice's visible page (gets toasts). */
  aliceVisible: SseClient;
}

export async function openStreams(w: World): Promise<Streams> {
  const alice = (await w.stream('alice')).client;
  const bob = (await w.stream('bob')).client;
  const aliceVisible = (await w.stream('alice', { all: 'true', visibility: 'visible' })).client;
  return { alice, bob, aliceVisible };
}

const types = (c: SseClient) => new Set(c.frames.map((f) => f.data?.type as string));

export const SSE_CHECKS: Array<{ title: string; run: (w: World, s: Streams) => Promise<void> }> = [
  {
    title: 'a message scheduled 4 s ahead reaches the CLI at its time, not before, and emits scheduled-matured once',
    run: async (w, s) => {
      const session = await w.session('scheduled');
      const localId = `sched-${randomBytes(4).toString('hex')}`;
      const scheduledAt = Date.now() + 4000;
      const r = await w.request('web', 'POST', `/api/sessions/${session.id}/messages`, { body: { text: 'later', localId, scheduledAt } });
      expect(r.status).to.equal(200);
      // An immediate message is the marker: once it arrived, an undue scheduled one would have too.
      const marker = await w.postMessage(session);
      await session.standIn!.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === marker.localId);
      expect(Date.now(), 'the marker arrived before the scheduled time').to.be.lessThan(scheduledAt);
      expect(session.standIn!.updates.filter((u) => (u.body.message as { localId?: string } | undefined)?.localId === localId), 'delivered early').to.deep.equal([]);
      const due = await session.standIn!.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === localId, 15_000);
      expect(Date.now()).to.be.at.least(scheduledAt);
      expect((due.body.message as { content: unknown }).content).to.deep.include({ role: 'user' });
      const matured = await s.alice.waitFrame((f) => f.data?.type === 'scheduled-matured' && f.data.sessionId === session.id, 12_000);
      expect(matured.data).to.deep.equal({ type: 'scheduled-matured', sessionId: session.id, namespace: 'alice' });
      const cli = await w.request('cli', 'GET', `/cli/sessions/${session.id}/messages`, { query: { afterSeq: '0' } });
      expect(cli.json.messages.find((m: { localId: string }) => m.localId === localId)).to.include({ scheduledAt });
    },
  },
  {
    title: 'a permission request while a page of the namespace is visible sends that page a toast (not bob\'s)',
    run: async (w, s) => {
      const session = await w.session('toast');
      await w.permissionRequest(session);
      const toast = await s.aliceVisible.waitFrame((f) => f.data?.type === 'toast' && f.data.data?.sessionId === session.id, 10_000);
      expect(toast.data.data).to.deep.include({ title: 'Permission Request', url: `/sessions/${session.id}` });
      expect(toast.id, 'toasts are not replayable').to.equal(undefined);
    },
  },
  {
    title: 'a stream reopened with Last-Event-ID (JWT as ?token=, as EventSource does) resumes "ok" and replays what it missed; bob resuming from alice\'s id gets "gap" and nothing',
    run: async (w) => {
      const session = await w.session('resume-stream');
      const first = await w.stream('alice', { sessionId: session.id });
      await w.request('web', 'PATCH', `/api/sessions/${session.id}`, { body: { name: 'before the gap' } });
      const seen = await first.client.waitFrame((f) => f.data?.type === 'session-updated' && f.id !== undefined);
      first.client.close();
      await w.request('web', 'PATCH', `/api/sessions/${session.id}`, { body: { name: 'while away' } });
      const resumeQuery = (who: 'alice' | 'bob') => `/api/events?${new URLSearchParams({ token: w.jwt(who), sessionId: session.id, lastEventId: seen.id! })}`;
      const again = await openSse(w.hub.url, resumeQuery('alice'));
      try {
        const hello = await again.waitFrame((f) => f.data?.type === 'connection-changed');
        expect(hello.data.data.resume).to.equal('ok');
        const replayed = await again.waitFrame((f) => f.data?.type === 'session-updated' && JSON.stringify(f.data).includes('while away'));
        expect(replayed.id, 'replayed frames carry ids').to.be.a('string');
      } finally {
        again.close();
      }
      const bobSession = await w.session('bob-resume', { who: 'bob' });
      const bob = await openSse(w.hub.url, `/api/events?${new URLSearchParams({ token: w.jwt('bob'), sessionId: bobSession.id, lastEventId: seen.id! })}`);
      try {
        const hello = await bob.waitFrame((f) => f.data?.type === 'connection-changed');
        expect(hello.data.data.resume, 'another namespace\'s event id resumes nothing').to.equal('gap');
        await w.request('web', 'PATCH', `/api/sessions/${bobSession.id}`, { who: 'bob', body: { name: 'bob marker' } });
        await bob.waitFrame((f) => JSON.stringify(f.data).includes('bob marker'));
        expect(JSON.stringify(bob.frames)).to.not.include('while away');
      } finally {
        bob.close();
      }
    },
  },
  {
    title: 'every stream gets a heartbeat within 30 s',
    run: async (_w, s) => {
      const hb = await s.alice.waitFrame((f) => f.data?.type === 'heartbeat', 40_000);
      expect(hb.data.namespace).to.equal('alice');
    },
  },
  {
    title: 'every frame alice\'s streams received matches HAPI\'s schema for its type, and all 16 types were seen',
    run: async (_w, s) => {
      const bad = [...s.alice.frames, ...s.aliceVisible.frames].map((f) => parseSseEvent(f.data)).filter((p) => !p.ok);
      expect(bad, JSON.stringify(bad.slice(0, 3))).to.deep.equal([]);
      const seen = new Set([...types(s.alice), ...types(s.aliceVisible)]);
      expect(SSE_EVENTS.map((e) => e.type).filter((t) => !seen.has(t)), 'types never seen').to.deep.equal([]);
    },
  },
  {
    title: 'bob\'s stream received nothing of alice\'s: every frame is his namespace\'s and names none of her sessions or machines',
    run: async (w, s) => {
      await waitFor(() => s.bob.frames.length > 0, { what: 'bob frames' });
      const foreign = s.bob.frames.filter((f) => f.data?.type !== 'connection-changed' && f.data?.namespace !== 'bob');
      expect(foreign, JSON.stringify(foreign.slice(0, 3))).to.deep.equal([]);
      const aliceIds = await w.fixtureIds('alice');
      const text = JSON.stringify(s.bob.frames);
      expect(aliceIds.filter((id) => text.includes(id))).to.deep.equal([]);
      const aliceTypes = [...s.alice.frames, ...s.aliceVisible.frames].filter((f) => f.data?.namespace !== undefined && f.data.namespace !== 'alice');
      expect(aliceTypes, 'alice received another namespace\'s frame').to.deep.equal([]);
    },
  },
];
