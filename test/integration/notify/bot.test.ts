import { expect } from 'chai';
import type { Subscription } from '@nats-io/transport-node';
import { RpcReply, RpcRequest } from '../../../lib/gen/teamhub/rpc/v1/rpc.js';
import { rpcSubject } from '../../../lib/nats/subjects.js';
import type { Namespace } from '../../../lib/namespace.js';
import { waitFor } from '../../helpers/ports.js';
import type { StubCall } from '../../helpers/telegram-stub.js';
import { startTelegramHub, type TelegramHub } from './harness.js';

const ALICE_TG = 1001;
const BOB_TG = 2002;
const STRANGER_TG = 3003;
const PUBLIC_URL = 'https://hub.example.test';
const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

describe('telegram bot: two bot replicas, one NATS, auth and session on one Mongo, a stub Bot API', function () {
  this.timeout(60_000);
  let hub: TelegramHub;
  const received: { ns: string; sid: string; params: unknown }[] = [];
  const subs: Subscription[] = [];

  /** Acts as the CLI socket's `permission` handler, reached through NATS like a gateway replica. */
  function respondToPermission(ns: string, sid: string): void {
    const sub = hub.nc.subscribe(rpcSubject(ns as Namespace, sid, 'permission'), {
      callback: (_err, msg) => {
        const req = RpcRequest.decode(msg.data);
        received.push({ ns, sid, params: JSON.parse(req.paramsJson) });
        msg.respond(RpcReply.encode(RpcReply.fromPartial({ namespace: ns, ok: true, resultJson: '{"ok":true}', errorCode: '', errorMessage: '' })).finish());
      },
    });
    subs.push(sub);
  }

  async function sessionWithRequest(ns: string, name: string, requests: Record<string, unknown>): Promise<string> {
    const scope = { namespace: ns as Namespace };
    const created = await hub.sessions.call('createOrLoadSession', {
      namespace: ns,
      tag: `tag-${name}`,
      metadataJson: JSON.stringify({ path: `/srv/${name}`, host: 'box', name }),
      agentStateJson: JSON.stringify({}),
    }, scope);
    const id = created.session!.id;
    await hub.sessions.call('setSessionActive', { namespace: ns, id, active: true, at: Date.now() }, scope);
    await hub.sessions.call('updateAgentState', { namespace: ns, id, expectedVersion: created.session!.agentStateVersion, json: JSON.stringify({ requests }) }, scope);
    return id;
  }

  const sentTo = (chatId: number, text?: string): StubCall[] =>
    hub.stub.calls('sendMessage').filter((c) => c.body.chat_id === chatId && (text === undefined || String(c.body.text).includes(text)));
  const answers = (id: string) => hub.stub.calls('answerCallbackQuery').filter((c) => c.body.callback_query_id === id);
  const buttonData = (call: StubCall, label: string): string =>
    (call.body.reply_markup.inline_keyboard as { text: string; callback_data?: string }[][]).flat().find((b) => b.text === label)!.callback_data!;
  const tap = (id: string, from: number, data: string, message?: StubCall) =>
    hub.stub.pushUpdate({
      callback_query: { id, from: { id: from, first_name: 'T' }, data, message: { message_id: 77, chat: { id: from, type: 'private' }, text: message?.body.text ?? 'x' } },
    });

  before(async () => {
    hub = await startTelegramHub({ replicas: 2 });
    await hub.bind(ALICE_TG, 'alice');
    await hub.bind(BOB_TG, 'bob');
  });
  after(async () => {
    for (const s of subs) s.unsubscribe();
    await hub?.stop();
  });

  it('when two bot replicas run, then exactly one of them polls getUpdates at a time', async () => {
    await waitFor(() => hub.stub.polls.total >= 3, { timeoutMs: 10_000, what: 'three polls' });
    expect(hub.stub.polls.maxOpen).to.equal(1);
    const pids = hub.botProcs.map((p) => p?.proc.pid);
    expect(pids).to.include(await hub.pollerPid());
  });

  it('when /start and /app are sent, then the bot answers with a WebApp button to HAPI_PUBLIC_URL', async () => {
    hub.stub.pushUpdate({ message: { message_id: 1, chat: { id: STRANGER_TG, type: 'private' }, from: { id: STRANGER_TG }, text: '/start' } });
    hub.stub.pushUpdate({ message: { message_id: 2, chat: { id: STRANGER_TG, type: 'private' }, from: { id: STRANGER_TG }, text: '/app' } });
    await waitFor(() => sentTo(STRANGER_TG).length >= 2, { timeoutMs: 10_000, what: 'command replies' });
    const [start, app] = sentTo(STRANGER_TG);
    expect(start!.body.text).to.equal('Welcome to teamhub! Use the Mini App for full session management.');
    expect(app!.body.text).to.equal('Open teamhub Mini App:');
    for (const c of [start!, app!]) expect(c.body.reply_markup).to.deep.equal({ inline_keyboard: [[{ text: 'Open App', web_app: { url: PUBLIC_URL } }]] });
  });

  let aliceSid = '';
  let aliceNote: StubCall;

  it('when a permission request appears in alice\'s namespace, then only alice\'s account gets exactly one message', async () => {
    aliceSid = await sessionWithRequest('alice', 'alice-task', { 'req-alice-1': { tool: 'Bash', arguments: { command: 'rm -rf build' }, createdAt: Date.now() } });
    aliceNote = (await waitFor(() => sentTo(ALICE_TG, 'Permission request')[0], { timeoutMs: 10_000, what: 'alice notification' }))!;
    expect(aliceNote.body.text).to.include('alice-task').and.include('/srv/alice-task').and.include('Tool: Bash').and.include('rm -rf build');
    // The same pending request shows up again in later session-updated events: still one message.
    const s = await hub.sessions.call('getSession', { namespace: 'alice', id: aliceSid }, { namespace: 'alice' as Namespace });
    const state = JSON.parse(s.session!.agentStateJson!) as Record<string, unknown>;
    await hub.sessions.call('updateAgentState', { namespace: 'alice', id: aliceSid, expectedVersion: s.session!.agentStateVersion, json: JSON.stringify({ ...state, note: 'again' }) }, { namespace: 'alice' as Namespace });
    // bob's own request is a barrier: once bob has his message, alice's events are processed too.
    await sessionWithRequest('bob', 'bob-task', { 'req-bob-1': { tool: 'Edit', arguments: { file_path: '/b.txt' } } });
    await waitFor(() => sentTo(BOB_TG, 'Permission request')[0], { timeoutMs: 10_000, what: 'bob notification' });
    await settle();
    expect(sentTo(ALICE_TG, 'Permission request')).to.have.length(1);
    expect(sentTo(BOB_TG, 'Permission request')).to.have.length(1);
    expect(sentTo(BOB_TG).some((c) => String(c.body.text).includes('alice'))).to.equal(false);
    expect(sentTo(ALICE_TG).some((c) => String(c.body.text).includes('bob'))).to.equal(false);
    expect(buttonData(aliceNote, 'Approve')).to.match(/^ap:[^:]+:req-alice-1$/);
    expect(Buffer.byteLength(buttonData(aliceNote, 'Deny'))).to.be.at.most(64);
  });

  it('when bob taps a forged alice button or an unbound user taps it, then nothing reaches alice\'s CLI', async () => {
    respondToPermission('alice', aliceSid);
    const data = buttonData(aliceNote, 'Approve');
    tap('cb-bob', BOB_TG, data);
    tap('cb-stranger', STRANGER_TG, data);
    await waitFor(() => answers('cb-bob')[0] && answers('cb-stranger')[0], { timeoutMs: 10_000, what: 'callback answers' });
    expect(answers('cb-bob')[0]!.body.text).to.equal('Session not found');
    expect(answers('cb-stranger')[0]!.body.text).to.equal('Telegram account is not bound');
    expect(received).to.have.length(0);
  });

  it('when alice taps Approve, then the CLI\'s permission RPC gets {id, approved:true} and the message says Approved', async () => {
    tap('cb-alice', ALICE_TG, buttonData(aliceNote, 'Approve'), aliceNote);
    await waitFor(() => answers('cb-alice')[0], { timeoutMs: 10_000, what: 'alice answer' });
    expect(received).to.deep.equal([{ ns: 'alice', sid: aliceSid, params: { id: 'req-alice-1', approved: true } }]);
    expect(answers('cb-alice')[0]!.body.text).to.equal('Approved');
    const edit = await waitFor(() => hub.stub.calls('editMessageText').find((c) => c.body.chat_id === ALICE_TG));
    expect(edit.body.message_id).to.equal(77);
    expect(edit.body.text).to.equal(`${aliceNote.body.text}\n\nApproved`);
  });

  it('when alice taps Deny, then approved:false; with no CLI listening, she is told it could not be reached', async () => {
    tap('cb-deny', ALICE_TG, buttonData(aliceNote, 'Deny'), aliceNote);
    await waitFor(() => answers('cb-deny')[0], { timeoutMs: 10_000, what: 'deny answer' });
    expect(received.at(-1)).to.deep.equal({ ns: 'alice', sid: aliceSid, params: { id: 'req-alice-1', approved: false } });
    expect(answers('cb-deny')[0]!.body.text).to.equal('Denied');
    const otherSid = await sessionWithRequest('alice', 'alice-offline', { 'req-off-1': { tool: 'Bash', arguments: { command: 'ls' } } });
    const note = (await waitFor(() => sentTo(ALICE_TG, 'alice-offline')[0], { timeoutMs: 10_000, what: 'offline notification' }))!;
    tap('cb-offline', ALICE_TG, buttonData(note, 'Approve'), note);
    await waitFor(() => answers('cb-offline')[0], { timeoutMs: 10_000, what: 'offline answer' });
    expect(answers('cb-offline')[0]!.body.text).to.equal('Could not reach the agent');
    expect(received.filter((r) => r.sid === otherSid)).to.have.length(0);
  });

  it('when a request is no longer pending, then the tap is answered and nothing is called', async () => {
    tap('cb-stale', ALICE_TG, buttonData(aliceNote, 'Approve').replace('req-alice-1', 'req-gone'), aliceNote);
    await waitFor(() => answers('cb-stale')[0], { timeoutMs: 10_000, what: 'stale answer' });
    expect(answers('cb-stale')[0]!.body.text).to.equal('Request is no longer pending');
  });

  it('when alice\'s agent reports ready, then alice alone gets one "Agent ready" with an Open Session button', async () => {
    const content = { role: 'agent', content: { type: 'event', data: { type: 'ready' } } };
    await hub.sessions.call('appendMessage', { namespace: 'alice', sessionId: aliceSid, contentJson: JSON.stringify(content), invoked: true }, { namespace: 'alice' as Namespace });
    const ready = await waitFor(() => sentTo(ALICE_TG, 'Agent ready')[0], { timeoutMs: 10_000, what: 'ready notification' });
    expect(ready.body.text).to.include('alice-task');
    expect(ready.body.reply_markup.inline_keyboard[0][0].web_app.url).to.equal(`${PUBLIC_URL}/?startapp=session_${aliceSid}`);
    await settle();
    expect(sentTo(ALICE_TG, 'Agent ready')).to.have.length(1);
    expect(sentTo(BOB_TG, 'Agent ready')).to.have.length(0);
  });

  it('when alice\'s session ends, then alice alone is told the task finished', async () => {
    await hub.sessions.call('endSession', { namespace: 'alice', id: aliceSid, at: Date.now(), reason: 'completed' }, { namespace: 'alice' as Namespace });
    const done = await waitFor(() => sentTo(ALICE_TG, 'Task finished')[0], { timeoutMs: 10_000, what: 'task finished notification' });
    expect(done.body.text).to.include('alice-task');
    await settle();
    expect(sentTo(ALICE_TG, 'Task finished')).to.have.length(1);
    expect(sentTo(BOB_TG, 'Task finished')).to.have.length(0);
  });

  it('when the polling replica is killed, then the other takes over after the lease expires, never two at once', async () => {
    const pid = await hub.pollerPid();
    const idx = hub.botProcs.findIndex((p) => p?.proc.pid === pid);
    expect(idx).to.be.at.least(0);
    await hub.killBot(idx);
    const survivor = hub.botProcs.find((p) => p !== null)!.proc.pid;
    await waitFor(async () => (await hub.pollerPid()) === survivor, { timeoutMs: 10_000, what: 'lease takeover' });
    hub.stub.pushUpdate({ message: { message_id: 3, chat: { id: ALICE_TG, type: 'private' }, from: { id: ALICE_TG }, text: '/app' } });
    await waitFor(() => sentTo(ALICE_TG, 'Open teamhub Mini App:')[0], { timeoutMs: 10_000, what: '/app after takeover' });
    expect(hub.stub.polls.maxOpen).to.equal(1);
    expect(sentTo(ALICE_TG, 'Open teamhub Mini App:')).to.have.length(1);
  });

  it('when the polling replica shuts down cleanly, then it releases the lease at once and a restarted replica takes over', async () => {
    const idx = hub.botProcs.findIndex((p) => p === null);
    await hub.startBot(idx);
    const fresh = hub.botProcs[idx]!.proc.pid;
    const holderIdx = hub.botProcs.findIndex((p, i) => i !== idx && p !== null);
    const holder = hub.botProcs[holderIdx]!.proc.pid;
    expect(await hub.pollerPid()).to.equal(holder);
    await hub.botProcs[holderIdx]!.stop('SIGTERM');
    hub.botProcs[holderIdx] = null;
    // Released, not left to expire: the old holder's key is gone right after it exits.
    expect(await hub.pollerPid()).to.be.oneOf([null, fresh]);
    await waitFor(async () => (await hub.pollerPid()) === fresh, { timeoutMs: 10_000, what: 'takeover by the restarted replica' });
    expect(hub.stub.polls.maxOpen).to.equal(1);
  });
});
