import { expect } from 'chai';
import { signInitData } from '../../lib/auth/telegram-init-data.js';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { startTelegramStub, type StubCall, type TelegramStub } from '../helpers/telegram-stub.js';

const ALICE_TG = 4101;
const BOB_TG = 4202;

/**
 * The whole path through real processes: TWO gateways, session service, TWO auth replicas and TWO
 * notify replicas (the bot runs in both) on Mongo + NATS; a socket.io-client plays the `hapi` CLI; a stub plays
 * Telegram. Accounts are bound through the gateway's `POST /api/bind`.
 */
describe('e2e telegram: notification and approve button reach the CLI socket, per namespace', function () {
  this.timeout(90_000);
  let stub: TelegramStub;
  let hub: Hub;
  let cli: CliSocket | undefined;
  const rpc: { method: string; params: unknown }[] = [];

  const initData = (userId: number) => signInitData(stub.token, { auth_date: String(Math.floor(Date.now() / 1000)), user: JSON.stringify({ id: userId, first_name: 'T' }) });
  const sentTo = (chatId: number, text?: string): StubCall[] =>
    stub.calls('sendMessage').filter((c) => c.body.chat_id === chatId && (text === undefined || String(c.body.text).includes(text)));
  const answer = (id: string) => stub.calls('answerCallbackQuery').find((c) => c.body.callback_query_id === id);
  const approveData = (c: StubCall): string => (c.body.reply_markup.inline_keyboard as { text: string; callback_data?: string }[][]).flat().find((b) => b.text === 'Approve')!.callback_data!;
  const tap = (id: string, from: number, data: string) =>
    stub.pushUpdate({ callback_query: { id, from: { id: from }, data, message: { message_id: 9, chat: { id: from, type: 'private' }, text: 'Permission request' } } });

  before(async () => {
    stub = await startTelegramStub();
    hub = await startHub({
      store: 'mongo',
      gateways: 2,
      authReplicas: 2,
      notifyReplicas: 2,
      env: {
        TELEGRAM_BOT_TOKEN: stub.token,
        TELEGRAM_API_BASE_URL: stub.url,
        TELEGRAM_POLL_TIMEOUT_SEC: '1',
        TELEGRAM_LEASE_TTL_MS: '1500',
        HAPI_PUBLIC_URL: 'https://teamhub.example.test',
      },
    });
    for (const [user, ns] of [[ALICE_TG, 'alice'], [BOB_TG, 'bob']] as const) {
      const r = await http(hub.url, 'POST', '/api/bind', { body: { initData: initData(user), accessToken: `${hub.baseToken}:${ns}` } });
      expect(r.status, r.text).to.equal(200);
    }
  });
  after(async () => {
    cli?.close();
    await hub?.stop();
    await stub?.stop();
  });

  it('when alice\'s CLI raises a permission request, then alice alone is notified once; her Approve reaches the CLI, bob\'s forged tap does not', async () => {
    const alice = `${hub.baseToken}:alice`;
    const created = await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag: 'tg-e2e', metadata: { ...SESSION_METADATA, name: 'alice-e2e' }, agentState: {} } });
    expect(created.status, created.text).to.equal(200);
    const session = created.json.session as { id: string; agentStateVersion: number };
    // The CLI sits on the second gateway replica; the bot reaches it through NATS all the same.
    cli = await connectCli(hub.urls[1]!, alice, { sessionId: session.id });
    cli.socket.on('rpc-request', (req: { method: string; params: string }, cb: (s: string) => void) => {
      rpc.push({ method: req.method, params: JSON.parse(req.params) });
      cb(JSON.stringify({ ok: true }));
    });
    cli.socket.emit('rpc-register', { method: `${session.id}:permission` });
    cli.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false, mode: 'remote' });
    await waitFor(async () => (await http(hub.url, 'GET', `/cli/sessions/${session.id}`, { token: alice })).json?.session?.active === true, { timeoutMs: 10_000, what: 'session active' });
    const st = await cli.ack('update-state', {
      sid: session.id,
      expectedVersion: session.agentStateVersion,
      agentState: { requests: { 'toolu-e2e-1': { tool: 'Bash', arguments: { command: 'make test' }, createdAt: Date.now() } } },
    });
    expect(st.result).to.equal('success');

    const note = await waitFor(() => sentTo(ALICE_TG, 'Permission request')[0], { timeoutMs: 15_000, what: 'telegram notification' });
    expect(note.body.text).to.include('alice-e2e').and.include('make test');
    expect(sentTo(BOB_TG)).to.have.length(0);

    tap('e2e-bob', BOB_TG, approveData(note));
    await waitFor(() => answer('e2e-bob'), { timeoutMs: 10_000, what: 'bob answer' });
    expect(answer('e2e-bob')!.body.text).to.equal('Session not found');
    expect(rpc).to.have.length(0);

    tap('e2e-alice', ALICE_TG, approveData(note));
    await waitFor(() => rpc[0], { timeoutMs: 10_000, what: 'permission rpc at the CLI' });
    expect(rpc).to.deep.equal([{ method: `${session.id}:permission`, params: { id: 'toolu-e2e-1', approved: true } }]);
    await waitFor(() => answer('e2e-alice'), { timeoutMs: 10_000, what: 'alice answer' });
    expect(answer('e2e-alice')!.body.text).to.equal('Approved');
    expect(sentTo(ALICE_TG, 'Permission request')).to.have.length(1);
    expect(stub.polls.maxOpen).to.equal(1);
  });
});
