import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signInitData } from '../../lib/auth/telegram-init-data.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startLocalHub, type RunningHub } from '../helpers/local-hub.js';
import { http, SESSION_METADATA } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { startTelegramStub, type StubCall, type TelegramStub } from '../helpers/telegram-stub.js';

const ALICE_TG = 5301;
const BOB_TG = 5302;

/**
 * The hub started as `make run` starts it, with a bot token: the launcher runs the Telegram bot as
 * a process of its own, pointed at the auth service (bindings, recipients) and the session
 * service (button taps). A stub plays Telegram; a socket.io-client plays alice's CLI.
 */
describe('e2e: the local hub (make run) with a Telegram bot token', function () {
  this.timeout(180_000);
  let dataDir: string;
  let stub: TelegramStub;
  let hub: RunningHub | undefined;
  let cli: CliSocket | undefined;
  const rpc: { method: string; params: unknown }[] = [];

  const sentTo = (chatId: number, text: string): StubCall[] => stub.calls('sendMessage').filter((c) => c.body.chat_id === chatId && String(c.body.text).includes(text));
  const initData = (userId: number) => signInitData(stub.token, { auth_date: String(Math.floor(Date.now() / 1000)), user: JSON.stringify({ id: userId, first_name: 'T' }) });

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-local-tg-'));
    stub = await startTelegramStub();
    hub = await startLocalHub({
      dataDir,
      port: await freePort(),
      env: { TELEGRAM_BOT_TOKEN: stub.token, TELEGRAM_API_BASE_URL: stub.url, TELEGRAM_POLL_TIMEOUT_SEC: '1', TELEGRAM_LEASE_TTL_MS: '1500' },
    });
  });

  after(async () => {
    cli?.close();
    await hub?.stop('SIGTERM');
    await stub?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when the hub starts, then the launcher shows the notify process (which runs the bot) among its children', () => {
    expect(hub!.output()).to.match(/^notify\s*\|/m);
  });

  it("when alice's CLI raises a permission request, then alice alone is notified and her Approve reaches the CLI", async () => {
    const alice = `${hub!.baseToken}:alice`;
    for (const [user, ns] of [[ALICE_TG, 'alice'], [BOB_TG, 'bob']] as const) {
      const r = await http(hub!.url, 'POST', '/api/bind', { body: { initData: initData(user), accessToken: `${hub!.baseToken}:${ns}` } });
      expect(r.status, r.text).to.equal(200);
    }
    const created = await http(hub!.url, 'POST', '/cli/sessions', { token: alice, body: { tag: 'launcher-tg', metadata: { ...SESSION_METADATA, name: 'launcher-task' }, agentState: {} } });
    expect(created.status, created.text).to.equal(200);
    const session = created.json.session as { id: string; agentStateVersion: number };
    cli = await connectCli(hub!.url, alice, { sessionId: session.id });
    cli.socket.on('rpc-request', (req: { method: string; params: string }, cb: (s: string) => void) => {
      rpc.push({ method: req.method, params: JSON.parse(req.params) });
      cb(JSON.stringify({ ok: true }));
    });
    cli.socket.emit('rpc-register', { method: `${session.id}:permission` });
    cli.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false, mode: 'remote' });
    await waitFor(async () => (await http(hub!.url, 'GET', `/cli/sessions/${session.id}`, { token: alice })).json?.session?.active === true, { timeoutMs: 10_000, what: 'session active' });
    const st = await cli.ack('update-state', { sid: session.id, expectedVersion: session.agentStateVersion, agentState: { requests: { 'toolu-local-1': { tool: 'Bash', arguments: { command: 'make run' }, createdAt: Date.now() } } } });
    expect(st.result).to.equal('success');

    const note = await waitFor(() => sentTo(ALICE_TG, 'Permission request')[0], { timeoutMs: 20_000, what: 'the notification' });
    expect(note.body.text).to.include('launcher-task').and.include('make run');
    const approve = (note.body.reply_markup.inline_keyboard as { text: string; callback_data?: string }[][]).flat().find((b) => b.text === 'Approve')!.callback_data!;
    stub.pushUpdate({ callback_query: { id: 'local-tap', from: { id: ALICE_TG }, data: approve, message: { message_id: 3, chat: { id: ALICE_TG, type: 'private' }, text: 'Permission request' } } });
    await waitFor(() => rpc[0], { timeoutMs: 15_000, what: 'the permission RPC at the CLI' });
    expect(rpc).to.deep.equal([{ method: `${session.id}:permission`, params: { id: 'toolu-local-1', approved: true } }]);
    await waitFor(() => stub.calls('answerCallbackQuery').find((c) => c.body.callback_query_id === 'local-tap'), { timeoutMs: 10_000, what: 'the tap answer' });
    expect(stub.calls('answerCallbackQuery').find((c) => c.body.callback_query_id === 'local-tap')!.body.text).to.equal('Approved');
    expect(stub.calls('sendMessage').filter((c) => c.body.chat_id === BOB_TG)).to.have.length(0);
  });
});
