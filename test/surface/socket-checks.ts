import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { io, type Socket } from 'socket.io-client';
import { waitFor } from '../helpers/ports.js';
import { CLI_EMITTED_EVENTS, CLI_HANDLED_EVENTS, TERMINAL_EMITTED_EVENTS, type EmittedEventSpec, type HandledEventSpec } from './hapi-socket-events.js';
import { expectBody } from './route-runner.js';
import type { StandIn } from './stand-ins.js';
import type { SessionFixture, World } from './world.js';

/*
 * Live checks of the Socket.IO surface in hapi-socket-events.ts: each handled event's effect, ack
 * and foreign-id answer, and each emitted event's payload, on the hub the world talks to.
 */

function handled(event: string, ns: '/cli' | '/terminal' = '/cli'): HandledEventSpec {
  const spec = CLI_HANDLED_EVENTS.concat().find((e) => e.event === event && e.namespace === ns);
  if (!spec) throw new Error(`no handled event ${event}`);
  return spec;
}
function emitted(event: string, specs: EmittedEventSpec[] = CLI_EMITTED_EVENTS): EmittedEventSpec {
  const spec = specs.find((e) => e.event === event);
  if (!spec) throw new Error(`no emitted event ${event}`);
  return spec;
}

/** The `error` event a foreign id gets: exact payload, as hapi-socket-events.ts says. */
async function expectAccessError(socket: StandIn, scope: 'session' | 'machine', id: string): Promise<void> {
  const err = await waitFor(() => socket.events.find((e) => e.event === 'error' && (e.arg as { id?: string }).id === id)?.arg ?? null, { what: `error event for ${id}` });
  expectBody(err, emitted('error').payload, 'error event');
  expect(err).to.deep.equal({ message: `${scope} access denied`, code: 'access-denied', scope, id });
}

/** Bob's CLI socket (no scope of its own): what a hostile teammate with the base token can open. */
function bobSocket(w: World, scope: 'session' | 'machine', id: string): Promise<StandIn> {
  return w.extraStandIn('bob', scope, id);
}

/** A web `/terminal` socket with `who`'s JWT. */
async function terminalSocket(w: World, who: 'alice' | 'bob' = 'alice'): Promise<{ socket: Socket; events: Array<{ event: string; arg: any }>; close(): void }> {
  const socket = io(`${w.hub.url}/terminal`, { path: '/socket.io/', transports: ['websocket'], auth: { token: w.jwt(who) }, reconnection: false, forceNew: true });
  const events: Array<{ event: string; arg: any }> = [];
  socket.onAny((event: string, arg: unknown) => events.push({ event, arg }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, events, close: () => socket.close() };
}

const cliEvent = (s: StandIn, event: string, pred: (a: any) => boolean = () => true) =>
  waitFor(() => s.events.find((e) => e.event === event && pred(e.arg))?.arg ?? null, { what: `${event} on the CLI stand-in` });

export const SOCKET_CHECKS: Array<{ title: string; run: (w: World) => Promise<void> }> = [
  {
    title: 'message: stored, relayed to the other sockets of the session as update new-message; a foreign sid gets the access error and is not stored',
    run: async (w) => {
      const s = await w.session('socket-msg');
      const peer = await w.extraStandIn('alice', 'session', s.id);
      const localId = `cli-${randomBytes(4).toString('hex')}`;
      const payload = { sid: s.id, localId, message: { role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { content: [{ type: 'text', text: 'done' }] } } }, meta: { sentFrom: 'cli' } } };
      expectBody(payload, handled('message').payload, 'message payload');
      s.standIn!.emit('message', payload);
      const update = await peer.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === localId);
      expectBody(update, emitted('update:new-message').payload, 'update new-message');
      const bob = await bobSocket(w, 'session', s.id);
      bob.emit('message', { ...payload, localId: 'from-bob' });
      await expectAccessError(bob, 'session', s.id);
      const page = await w.request('web', 'GET', `/api/sessions/${s.id}/messages`);
      expect(page.json.messages.map((m: { localId: string }) => m.localId)).to.include(localId).and.not.include('from-bob');
    },
  },
  {
    title: 'update-metadata / update-state: CAS acks, update-session to the room; a foreign sid gets {result:"error", reason:"access-denied"}',
    run: async (w) => {
      const s = await w.session('socket-cas');
      const peer = await w.extraStandIn('alice', 'session', s.id);
      const cur = (await w.request('cli', 'GET', `/cli/sessions/${s.id}`)).json.session;
      const meta = { ...cur.metadata, name: 'cas' };
      const ok = await s.standIn!.ack('update-metadata', { sid: s.id, expectedVersion: cur.metadataVersion, metadata: meta });
      expectBody(ok, handled('update-metadata').ack, 'update-metadata ack');
      expect(ok).to.deep.include({ result: 'success', version: cur.metadataVersion + 1 });
      const stale = await s.standIn!.ack('update-metadata', { sid: s.id, expectedVersion: cur.metadataVersion, metadata: meta });
      expect(stale).to.deep.include({ result: 'version-mismatch', version: cur.metadataVersion + 1 });
      const update = await peer.waitUpdate('update-session');
      expectBody(update, emitted('update:update-session').payload, 'update update-session');
      const state = await s.standIn!.ack('update-state', { sid: s.id, expectedVersion: cur.agentStateVersion, agentState: { controlledByUser: false } });
      expectBody(state, handled('update-state').ack, 'update-state ack');
      const bob = await bobSocket(w, 'session', s.id);
      expect(await bob.ack('update-metadata', { sid: s.id, expectedVersion: 99, metadata: meta })).to.deep.equal({ result: 'error', reason: 'access-denied' });
      expect(await bob.ack('update-state', { sid: s.id, expectedVersion: 99, agentState: null })).to.deep.equal({ result: 'error', reason: 'access-denied' });
      expect(await bob.ack('update-metadata', { sid: s.id })).to.deep.equal({ result: 'error' });
    },
  },
  {
    title: 'session-alive / session-ready / session-end / messages-consumed / messages-indeterminate: a foreign sid gets the access error and changes nothing',
    run: async (w) => {
      const s = await w.session('socket-foreign');
      const bob = await bobSocket(w, 'session', s.id);
      for (const [event, payload] of [
        ['session-alive', { sid: s.id, time: Date.now(), thinking: true }],
        ['session-ready', { sid: s.id, time: Date.now() }],
        ['messages-consumed', { sid: s.id, localIds: ['x'] }],
        ['messages-indeterminate', { sid: s.id, localIds: ['x'] }],
        ['session-end', { sid: s.id, time: Date.now() }],
      ] as const) {
        expectBody(payload, handled(event).payload, `${event} payload`);
        bob.events.length = 0;
        bob.emit(event, payload);
        await expectAccessError(bob, 'session', s.id);
      }
      const after = (await w.request('web', 'GET', `/api/sessions/${s.id}`)).json.session;
      expect(after).to.include({ active: true, thinking: false });
    },
  },
  {
    title: 'session-end: the session goes inactive (SSE session-ended)',
    run: async (w) => {
      const s = await w.session('socket-end');
      s.standIn!.end('completed');
      await w.waitActive(s, false);
    },
  },
  {
    title: 'messages-steer-state: acks {ok}; state queued emits messages-requeued; a foreign sid acks {ok:false}',
    run: async (w) => {
      const s = await w.session('socket-steer', { flavor: 'codex' });
      const posted = await w.postMessage(s);
      const dispatching = await s.standIn!.ack('messages-steer-state', { sid: s.id, localIds: [posted.localId], state: 'dispatching' });
      expectBody(dispatching, handled('messages-steer-state').ack, 'messages-steer-state ack');
      expect(dispatching).to.deep.equal({ ok: true });
      expect(await s.standIn!.ack('messages-steer-state', { sid: s.id, localIds: [posted.localId], state: 'queued' })).to.deep.equal({ ok: true });
      expect(await s.standIn!.ack('messages-steer-state', { sid: s.id, localIds: [], state: 'queued' })).to.deep.equal({ ok: false });
      const bob = await bobSocket(w, 'session', s.id);
      expect(await bob.ack('messages-steer-state', { sid: s.id, localIds: [posted.localId], state: 'queued' })).to.deep.equal({ ok: false });
      await expectAccessError(bob, 'session', s.id);
    },
  },
  {
    title: 'native-queue-message: in a shared session text queues a user message, null removes it; a foreign sid gets the access error',
    run: async (w) => {
      const s = await w.session('socket-native', { flavor: 'codex', metadata: { capabilities: { concurrentClients: true }, hostPid: 4343, codexSessionId: 'codex-native' } });
      const localId = `native-${randomBytes(4).toString('hex')}`;
      s.standIn!.emit('native-queue-message', { sid: s.id, localId, text: 'typed in the Codex app' });
      const found = await waitFor(async () => {
        const r = await w.request('web', 'POST', `/api/sessions/${s.id}/messages/queued-state`, { body: { localIds: [localId] } });
        return r.json.queuedLocalIds.includes(localId);
      }, { what: 'native queued message' });
      expect(found).to.equal(true);
      s.standIn!.emit('native-queue-message', { sid: s.id, localId, text: null });
      await waitFor(async () => {
        const r = await w.request('web', 'POST', `/api/sessions/${s.id}/messages/queued-state`, { body: { localIds: [localId] } });
        return r.json.queuedLocalIds.length === 0;
      }, { what: 'native queued message removed' });
      const bob = await bobSocket(w, 'session', s.id);
      bob.emit('native-queue-message', { sid: s.id, localId: 'bob', text: 'x' });
      await expectAccessError(bob, 'session', s.id);
    },
  },
  {
    title: 'machine-update-metadata / machine-update-state / machine-alive / machine-agy-models-changed: effects, update-machine to the room, foreign machine refused',
    run: async (w) => {
      const m = await w.machine('socket-machine');
      const peer = await w.extraStandIn('alice', 'machine', m.id);
      const cur = (await w.request('cli', 'GET', `/cli/machines/${m.id}`)).json.machine;
      const ok = await m.standIn.ack('machine-update-metadata', { machineId: m.id, expectedVersion: cur.metadataVersion, metadata: { ...cur.metadata, displayName: 'socket' } });
      expectBody(ok, handled('machine-update-metadata').ack, 'machine-update-metadata ack');
      expect(ok).to.deep.include({ result: 'success' });
      const update = await peer.waitUpdate('update-machine');
      expectBody(update, emitted('update:update-machine').payload, 'update update-machine');
      m.standIn.emit('machine-agy-models-changed', { machineId: m.id });
      const bob = await bobSocket(w, 'machine', m.id);
      expect(await bob.ack('machine-update-metadata', { machineId: m.id, expectedVersion: 1, metadata: {} })).to.deep.equal({ result: 'error', reason: 'access-denied' });
      expect(await bob.ack('machine-update-state', { machineId: m.id, expectedVersion: 1, runnerState: null })).to.deep.equal({ result: 'error', reason: 'access-denied' });
      for (const event of ['machine-alive', 'machine-agy-models-changed'] as const) {
        bob.events.length = 0;
        bob.emit(event, { machineId: m.id, time: Date.now() });
        await expectAccessError(bob, 'machine', m.id);
      }
    },
  },
  {
    title: 'ping: acked with no arguments',
    run: async (w) => {
      const s = await w.session('claude');
      const answer = await s.standIn!.socket.timeout(5000).emitWithAck('ping');
      expect(answer).to.equal(undefined);
    },
  },
  {
    title: 'rpc-unregister: the route then finds no handler (200 {success:false, error:"RPC handler not registered: …"})',
    run: async (w) => {
      const s = await w.session('socket-unregister');
      s.standIn!.emit('rpc-unregister', { method: `${s.id}:git-status` });
      const r = await waitFor(async () => {
        const res = await w.request('web', 'GET', `/api/sessions/${s.id}/git-status`);
        return res.json.success === false ? res : null;
      }, { what: 'git-status without handler' });
      expect(r.json).to.deep.equal({ success: false, error: `RPC handler not registered: ${s.id}:git-status` });
    },
  },
  {
    title: 'rpc-register of another namespace\'s session id: HAPI lets bob\'s socket take alice\'s RPC (global registry); teamhub must refuse it',
    run: async (w) => {
      const s = await w.session('hijack-target');
      const bob = await w.extraStandIn('bob', 'session', `bob-${randomUUID()}`, { methods: [] });
      bob.registerRaw(`${s.id}:git-status`);
      bob.onRpc('git-status', () => ({ success: true, stdout: 'stolen', stderr: '', exitCode: 0 }));
      const r = await waitFor(async () => {
        const res = await w.request('web', 'GET', `/api/sessions/${s.id}/git-status`);
        return w.hub.kind === 'hapi' ? (res.json.stdout === 'stolen' ? res : null) : res;
      }, { what: 'git-status answer' });
      if (w.hub.kind === 'hapi') {
        expect(r.json.stdout, 'HAPI routed alice\'s RPC to bob\'s socket').to.equal('stolen');
        expect(bob.rpcs.map((c) => c.fullMethod)).to.include(`${s.id}:git-status`);
      } else {
        expect(r.json.stdout, 'alice\'s own CLI answers').to.not.equal('stolen');
        expect(bob.rpcs, 'bob\'s socket received nothing').to.deep.equal([]);
      }
    },
  },
  {
    title: '/terminal: create/write/resize/close reach the session\'s CLI, its ready/output/exit/error reach the page; bob\'s page is refused',
    run: async (w) => {
      const s = await w.session('terminal');
      const page = await terminalSocket(w);
      try {
        const terminalId = `t-${randomBytes(3).toString('hex')}`;
        page.socket.emit('terminal:create', { sessionId: s.id, terminalId, cols: 80, rows: 24 });
        const open = await cliEvent(s.standIn!, 'terminal:open');
        expectBody(open, emitted('terminal:open').payload, 'terminal:open');
        expect(open).to.deep.equal({ sessionId: s.id, terminalId, cols: 80, rows: 24 });
        s.standIn!.emit('terminal:ready', { sessionId: s.id, terminalId });
        s.standIn!.emit('terminal:output', { sessionId: s.id, terminalId, data: 'hello\r\n' });
        const ready = await waitFor(() => page.events.find((e) => e.event === 'terminal:ready')?.arg ?? null, { what: 'terminal:ready on the page' });
        expectBody(ready, emitted('terminal:ready', TERMINAL_EMITTED_EVENTS).payload, 'terminal:ready');
        const out = await waitFor(() => page.events.find((e) => e.event === 'terminal:output')?.arg ?? null, { what: 'terminal:output on the page' });
        expect(out).to.include({ terminalId, data: 'hello\r\n' });
        page.socket.emit('terminal:write', { terminalId, data: 'ls\r' });
        expect(await cliEvent(s.standIn!, 'terminal:write')).to.deep.equal({ sessionId: s.id, terminalId, data: 'ls\r' });
        page.socket.emit('terminal:resize', { terminalId, cols: 100, rows: 30 });
        expect(await cliEvent(s.standIn!, 'terminal:resize')).to.deep.equal({ sessionId: s.id, terminalId, cols: 100, rows: 30 });
        s.standIn!.emit('terminal:exit', { sessionId: s.id, terminalId, code: 0, signal: null });
        const exit = await waitFor(() => page.events.find((e) => e.event === 'terminal:exit')?.arg ?? null, { what: 'terminal:exit on the page' });
        expectBody(exit, emitted('terminal:exit', TERMINAL_EMITTED_EVENTS).payload, 'terminal:exit');
        const second = `t2-${randomBytes(3).toString('hex')}`;
        page.socket.emit('terminal:create', { sessionId: s.id, terminalId: second, cols: 80, rows: 24 });
        await cliEvent(s.standIn!, 'terminal:open', (a) => a.terminalId === second);
        page.socket.emit('terminal:close', { terminalId: second });
        expect(await cliEvent(s.standIn!, 'terminal:close')).to.deep.equal({ sessionId: s.id, terminalId: second });
        const third = `t3-${randomBytes(3).toString('hex')}`;
        page.socket.emit('terminal:create', { sessionId: s.id, terminalId: third, cols: 80, rows: 24 });
        await cliEvent(s.standIn!, 'terminal:open', (a) => a.terminalId === third);
        s.standIn!.emit('terminal:error', { sessionId: s.id, terminalId: third, message: 'shell crashed' });
        const err = await waitFor(() => page.events.find((e) => e.event === 'terminal:error')?.arg ?? null, { what: 'terminal:error on the page' });
        expect(err).to.include({ terminalId: third, message: 'shell crashed' });
        const bobPage = await terminalSocket(w, 'bob');
        try {
          bobPage.socket.emit('terminal:create', { sessionId: s.id, terminalId: 'bob-t', cols: 80, rows: 24 });
          const refused = await waitFor(() => bobPage.events.find((e) => e.event === 'terminal:error')?.arg ?? null, { what: 'bob refused' });
          expect(refused).to.deep.equal({ terminalId: 'bob-t', message: 'Session is inactive or unavailable.' });
          expect(s.standIn!.events.filter((e) => e.event === 'terminal:open' && (e.arg as { terminalId: string }).terminalId === 'bob-t')).to.deep.equal([]);
        } finally {
          bobPage.close();
        }
      } finally {
        page.close();
      }
    },
  },
  {
    title: '/terminal agent view: subscribe asks the CLI to repaint, its agent-terminal:output reaches the page, input and resize go back, the last viewer leaving sends idle; bob cannot subscribe',
    run: async (w) => {
      const s = await w.session('agent-terminal');
      const page = await terminalSocket(w);
      try {
        page.socket.emit('agent-terminal:subscribe', { sessionId: s.id });
        const refresh = await cliEvent(s.standIn!, 'agent-terminal:refresh');
        expectBody(refresh, emitted('agent-terminal:refresh').payload, 'agent-terminal:refresh');
        s.standIn!.emit('agent-terminal:output', { sessionId: s.id, terminalId: 'agent', data: 'thinking…' });
        const out = await waitFor(() => page.events.find((e) => e.event === 'agent-terminal:output')?.arg ?? null, { what: 'agent output on the page' });
        expect(out).to.deep.equal({ sessionId: s.id, terminalId: 'agent', data: 'thinking…' });
        s.standIn!.emit('agent-terminal:reset', { sessionId: s.id });
        page.socket.emit('agent-terminal:input', { sessionId: s.id, data: 'y' });
        expect(await cliEvent(s.standIn!, 'agent-terminal:input')).to.deep.equal({ sessionId: s.id, data: 'y' });
        page.socket.emit('agent-terminal:resize', { sessionId: s.id, cols: 120, rows: 40 });
        expect(await cliEvent(s.standIn!, 'agent-terminal:resize')).to.deep.equal({ sessionId: s.id, cols: 120, rows: 40 });
        const bobPage = await terminalSocket(w, 'bob');
        try {
          const before = s.standIn!.events.filter((e) => e.event === 'agent-terminal:refresh').length;
          bobPage.socket.emit('agent-terminal:subscribe', { sessionId: s.id });
          bobPage.socket.emit('agent-terminal:input', { sessionId: s.id, data: 'rm -rf' });
          // A marker after bob's events: once alice's own input arrives, bob's would have too.
          page.socket.emit('agent-terminal:input', { sessionId: s.id, data: 'marker' });
          await cliEvent(s.standIn!, 'agent-terminal:input', (a) => a.data === 'marker');
          expect(s.standIn!.events.filter((e) => e.event === 'agent-terminal:refresh').length, 'bob triggered a repaint').to.equal(before);
          expect(s.standIn!.events.filter((e) => e.event === 'agent-terminal:input' && (e.arg as { data: string }).data === 'rm -rf')).to.deep.equal([]);
        } finally {
          bobPage.close();
        }
        page.socket.emit('agent-terminal:unsubscribe', { sessionId: s.id });
        expect(await cliEvent(s.standIn!, 'agent-terminal:idle')).to.deep.equal({ sessionId: s.id });
      } finally {
        page.close();
      }
    },
  },
  {
    title: 'a session socket of another namespace joins no room: it gets no update of that session',
    run: async (w: World) => {
      const s: SessionFixture = await w.session('room');
      const bob = await w.extraStandIn('bob', 'session', s.id);
      await w.postMessage(s);
      await s.standIn!.waitUpdate('new-message');
      expect(bob.updates, 'bob\'s socket received alice\'s updates').to.deep.equal([]);
    },
  },
];
