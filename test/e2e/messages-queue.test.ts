import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createCliSession, http, startHub, waitFor, webToken, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { StandIn } from '../surface/stand-ins.js';

const lid = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

/**
 * The message queue through the gateways the way HAPI's clients use it: the web on the first
 * gateway, the CLI sockets on the second, real processes and NATS. HAPI's cursor, cancel / steer /
 * retry / queued-state, the CLI's reports, and what a second namespace or another session's
 * socket can do (nothing).
 */
describe('e2e messages: the cursor and the queue (two gateways)', function () {
  this.timeout(120_000);
  let hub: Hub;
  let web: string;
  let cliUrl: string;
  let alice: string;
  let bob: string;
  let aliceJwt: string;
  let bobJwt: string;
  let aliceSse: SseClient;
  let bobSse: SseClient;
  const closers: Array<{ close(): void }> = [];

  before(async () => {
    hub = await startHub({ gateways: 2 });
    [web, cliUrl] = [hub.urls[0]!, hub.urls[1]!];
    alice = `${hub.baseToken}:alice`;
    bob = `${hub.baseToken}:bob`;
    aliceJwt = await webToken(web, alice);
    bobJwt = await webToken(web, bob);
    aliceSse = await openSse(web, '/api/events?all=true', { token: aliceJwt });
    bobSse = await openSse(web, '/api/events?all=true', { token: bobJwt });
    closers.push(aliceSse, bobSse);
  });
  after(async () => {
    for (const c of closers) c.close();
    await hub?.stop();
  });

  /** A session of `who` (`flavor`, extra metadata) with its CLI stand-in on the second gateway, active. */
  async function session(who = alice, metadata: Record<string, unknown> = {}): Promise<{ id: string; cli: StandIn }> {
    const r = await http(web, 'POST', '/cli/sessions', { token: who, body: { tag: lid('tag'), metadata: { ...SESSION_METADATA, flavor: 'claude', ...metadata }, agentState: {} } });
    expect(r.status, r.text).to.equal(200);
    const cli = await StandIn.session(cliUrl, who, r.json.session.id);
    closers.push(cli);
    const jwt = who === alice ? aliceJwt : bobJwt;
    await waitFor(async () => (await http(web, 'GET', `/api/sessions/${r.json.session.id}`, { token: jwt })).json?.session?.active === true, { what: 'session active' });
    return { id: r.json.session.id, cli };
  }
  const post = async (sid: string, body: Record<string, unknown>, jwt = aliceJwt) => http(web, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, body });
  const queuedState = async (sid: string, localIds: string[], jwt = aliceJwt) => (await http(web, 'POST', `/api/sessions/${sid}/messages/queued-state`, { token: jwt, body: { localIds } })).json;
  const page = async (sid: string, query: Record<string, string | number>, jwt = aliceJwt) =>
    http(web, 'GET', `/api/sessions/${sid}/messages?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`, { token: jwt });

  it('when alice pages her messages with HAPI\'s cursor, then latest, before, after + until and a stale epoch answer as HAPI does; bob is refused', async () => {
    const { id, cli } = await session();
    // The CLI's messages and the web's post travel on two connections to two gateways: nothing
    // orders them but the acks (sent once each write is durable). Without waiting for them the
    // post may be stored first, as seq 1, and the latest page is then [1, 5, 6, 7], as in HAPI.
    const acks = await Promise.all(
      Array.from({ length: 6 }, (_, i) => cli.socket.emitWithAck('message', { sid: id, message: { role: 'agent', content: { type: 'text', text: `agent ${i + 1}` } } })),
    );
    expect(acks.map((a: { seq: number }) => a.seq).sort((x, y) => x - y)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const queued = lid('queued');
    expect((await post(id, { text: 'still queued', localId: queued })).status).to.equal(200);
    await waitFor(async () => (await page(id, { limit: 200 })).json.messages.length === 7, { what: 'seven messages' });

    const latest = (await page(id, { limit: 3 })).json;
    expect(latest.messages.map((m: { seq: number }) => m.seq), 'the 3 newest, the queued one among them').to.deep.equal([5, 6, 7]);
    expect(latest.page).to.deep.include({ direction: 'latest', limit: 3, epoch: 0, reset: false, nextBeforeSeq: 5, nextAfterSeq: null, nextAfterAt: null, snapshotHeadSeq: 7, hasMore: true });
    expect(latest.messages[2]).to.include({ localId: queued, invokedAt: null, scheduledAt: null });
    const older = (await page(id, { limit: 3, beforeSeq: latest.page.nextBeforeSeq, beforeAt: latest.page.nextBeforeAt })).json;
    expect(older.messages.map((m: { seq: number }) => m.seq)).to.deep.equal([2, 3, 4]);
    expect(older.page).to.deep.include({ direction: 'before', hasMore: true });
    const first = older.messages[0];
    const after = (await page(id, { limit: 2, afterSeq: first.seq, afterAt: first.createdAt, untilSeq: 4, untilAt: older.messages[2].createdAt, epoch: 0 })).json;
    expect(after.messages.map((m: { seq: number }) => m.seq)).to.deep.equal([3, 4]);
    expect(after.page).to.deep.include({ direction: 'after', nextAfterSeq: 4, snapshotHeadSeq: 4, hasMore: false, nextBeforeSeq: null });

    // The CLI sends a message dated before the newest: the epoch goes up and an old after-cursor resets.
    cli.emit('message', { sid: id, message: { role: 'agent', content: { type: 'text', text: 'late' } }, createdAt: first.createdAt - 1 });
    await waitFor(async () => (await page(id, { limit: 200 })).json.page.epoch === 1, { what: 'epoch 1' });
    const stale = (await page(id, { limit: 50, afterSeq: first.seq, afterAt: first.createdAt, epoch: 0 })).json;
    expect(stale.page).to.deep.include({ direction: 'latest', reset: true, epoch: 1 });

    const bad = await page(id, { beforeSeq: 3 });
    expect(bad.status).to.equal(400);
    expect(bad.json).to.deep.equal({ error: 'Invalid query', issues: { formErrors: [], fieldErrors: { beforeAt: ['beforeAt and beforeSeq must be provided together'] } } });
    for (const q of [{ limit: 3 }, { beforeSeq: 3 }] as Record<string, number>[]) {
      const refused = await page(id, q, bobJwt);
      expect([refused.status, refused.json], JSON.stringify(q)).to.deep.equal([403, { error: 'Session access denied' }]);
    }
    const backfill = (await http(web, 'GET', `/cli/sessions/${id}/messages?afterSeq=6`, { token: alice })).json;
    expect(backfill.messages.map((m: { seq: number; scheduledAt: null }) => [m.seq, m.scheduledAt])).to.deep.equal([[7, null], [8, null]]);
    expect((await http(web, 'GET', `/cli/sessions/${id}/messages?afterSeq=0`, { token: bob })).status).to.equal(403);
    expect((await http(web, 'GET', `/cli/sessions/${id}/messages`, { token: alice })).json).to.deep.equal({ error: 'Invalid query' });
  });

  it('when alice sends with HAPI\'s bad bodies, then the exact 400s; to an inactive session a 409; steering is kept for Pi only', async () => {
    const { id, cli } = await session();
    const bad = await post(id, { text: 'x', scheduledAt: Date.now() + 60_000 });
    expect(bad.json).to.deep.equal({ error: 'Invalid body', issues: { formErrors: [], fieldErrors: { localId: ['scheduledAt requires localId'] } } });
    const far = await post(id, { text: 'x', localId: lid('far'), scheduledAt: Date.now() + 8 * 24 * 3600_000 });
    expect(far.json.issues.fieldErrors).to.deep.equal({ scheduledAt: ['scheduledAt must be within 7 days from now'] });
    expect((await post(id, { text: '' })).json).to.deep.equal({ error: 'Message requires text or attachments' });
    const steerClaude = lid('steer');
    await post(id, { text: 'steer me', localId: steerClaude, deliveryMode: 'steer' });
    const update = await cli.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === steerClaude);
    expect((update.body.message as { content: { meta: unknown } }).content.meta).to.deep.equal({ sentFrom: 'webapp', deliveryMode: 'queue' });
    const pi = await session(alice, { flavor: 'pi' });
    const steerPi = lid('steer');
    await post(pi.id, { text: 'steer me', localId: steerPi, deliveryMode: 'steer' });
    const piUpdate = await pi.cli.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === steerPi);
    expect((piUpdate.body.message as { content: { meta: unknown } }).content.meta).to.deep.equal({ sentFrom: 'webapp', deliveryMode: 'steer' });
    cli.end('completed');
    await waitFor(async () => (await http(web, 'GET', `/api/sessions/${id}`, { token: aliceJwt })).json?.session?.active === false, { what: 'inactive' });
    expect((await post(id, { text: 'too late' })).json).to.deep.equal({ error: 'Session is inactive', code: 'session_inactive' });
    expect((await post(id, { text: 'x', scheduledAt: 5 })).json, 'an inactive session wins over a bad body').to.deep.equal({ error: 'Session is inactive', code: 'session_inactive' });
  });

  it('when alice cancels a queued message, then her CLI on the other gateway is asked, it is removed, and the web is told; bob can neither cancel nor see it', async () => {
    const { id, cli } = await session();
    const l = lid('cancel');
    await post(id, { text: 'cancel me', localId: l });
    const messageId = (await cli.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === l)).body.message as { id: string };
    const refused = await http(web, 'DELETE', `/api/sessions/${id}/messages/${messageId.id}`, { token: bobJwt });
    expect([refused.status, refused.json]).to.deep.equal([403, { error: 'Session access denied' }]);
    expect(cli.updates.filter((u) => u.body.t === 'cancel-queued-message'), "bob's request asked the CLI").to.deep.equal([]);
    const r = await http(web, 'DELETE', `/api/sessions/${id}/messages/${messageId.id}`, { token: aliceJwt });
    expect(r.json).to.deep.equal({ status: 'cancelled', localId: l });
    expect((await cli.waitUpdate('cancel-queued-message')).body).to.deep.equal({ t: 'cancel-queued-message', sid: id, messageId: messageId.id, localId: l });
    const frame = await aliceSse.waitFrame((f) => f.data?.type === 'message-cancelled' && f.data.messageId === messageId.id);
    expect(frame.data).to.deep.include({ sessionId: id, namespace: 'alice' });
    expect(await queuedState(id, [l])).to.deep.equal({ queuedLocalIds: [], indeterminateLocalIds: [], invokedLocalMessages: [] });
    expect((await http(web, 'DELETE', `/api/sessions/${id}/messages/${messageId.id}`, { token: aliceJwt })).json).to.deep.equal({ status: 'cancelled', localId: null });
  });

  it('when the CLI does not answer a cancel, then the message turns indeterminate (busy); a retry with one answering CLI re-queues it', async () => {
    const r = await http(web, 'POST', '/cli/sessions', { token: alice, body: { tag: lid('tag'), metadata: { ...SESSION_METADATA, flavor: 'claude' }, agentState: {} } });
    const id = r.json.session.id as string;
    // A CLI that takes updates but never acks a question (an older or hung CLI).
    const mute: CliSocket = await connectCli(cliUrl, alice, { sessionId: id });
    closers.push(mute);
    mute.socket.emit('session-alive', { sid: id, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(web, 'GET', `/api/sessions/${id}`, { token: aliceJwt })).json?.session?.active === true, { what: 'active' });
    const l = lid('unsure');
    await post(id, { text: 'unsure', localId: l });
    const m = await mute.waitEvent('update', (u) => u.body?.message?.localId === l);
    expect((await http(web, 'DELETE', `/api/sessions/${id}/messages/${m.body.message.id}`, { token: aliceJwt })).json).to.deep.equal({ status: 'busy', localId: l });
    await aliceSse.waitFrame((f) => f.data?.type === 'messages-indeterminate' && f.data.sessionId === id);
    expect(await queuedState(id, [l])).to.deep.equal({ queuedLocalIds: [], indeterminateLocalIds: [l], invokedLocalMessages: [] });
    expect((await http(web, 'POST', `/api/sessions/${id}/messages/${m.body.message.id}/retry`, { token: aliceJwt })).json).to.deep.equal({ status: 'retry-unavailable', localId: l });
    mute.close();
    const cli = await StandIn.session(cliUrl, alice, id);
    closers.push(cli);
    await waitFor(async () => (await http(web, 'POST', `/api/sessions/${id}/messages/${m.body.message.id}/retry`, { token: aliceJwt })).json?.status === 'retried', { what: 'retried' });
    const retry = await cli.waitUpdate('retry-queued-message');
    expect(retry.body).to.deep.include({ t: 'retry-queued-message', sid: id, messageId: m.body.message.id, localId: l });
    await aliceSse.waitFrame((f) => f.data?.type === 'messages-requeued' && f.data.sessionId === id);
    expect(await queuedState(id, [l])).to.deep.equal({ queuedLocalIds: [l], indeterminateLocalIds: [], invokedLocalMessages: [] });
    expect((await http(web, 'POST', `/api/sessions/${id}/messages/${m.body.message.id}/retry`, { token: bobJwt })).status).to.equal(403);
  });

  it('when alice steers a queued message of a Codex session, then its CLI gets steer-queued-message; a Claude session is refused; bob is refused', async () => {
    const codex = await session(alice, { flavor: 'codex' });
    const l = lid('steer');
    await post(codex.id, { text: 'steer', localId: l });
    const m = (await codex.cli.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === l)).body.message as { id: string };
    expect((await http(web, 'POST', `/api/sessions/${codex.id}/messages/${m.id}/steer`, { token: bobJwt })).status).to.equal(403);
    expect(codex.cli.rpcs.filter((c) => c.method === 'steer-queued-message')).to.deep.equal([]);
    expect((await http(web, 'POST', `/api/sessions/${codex.id}/messages/${m.id}/steer`, { token: aliceJwt })).json).to.deep.equal({ status: 'steered', localId: l });
    expect((await codex.cli.waitRpc('steer-queued-message')).params).to.deep.equal({ localId: l });
    const claude = await session();
    expect((await http(web, 'POST', `/api/sessions/${claude.id}/messages/${m.id}/steer`, { token: aliceJwt })).json).to.deep.equal({
      status: 'failed',
      error: 'Steering is only supported for Pi, Codex, and Cursor ACP sessions',
      localId: null,
    });
  });

  it('when the CLI reports what it took, steered and put back, then the web is told; another session\'s socket and bob\'s change nothing', async () => {
    const { id, cli } = await session(alice, { flavor: 'codex' });
    const other = await session();
    const bobs = await session(bob);
    const [a, b] = [lid('a'), lid('b')];
    await post(id, { text: 'a', localId: a });
    await post(id, { text: 'b', localId: b });
    await cli.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === b);
    for (const [socket, who] of [[other.cli, 'another session of alice'], [bobs.cli, 'bob']] as const) {
      socket.events.length = 0;
      socket.emit('messages-consumed', { sid: id, localIds: [a] });
      socket.emit('messages-indeterminate', { sid: id, localIds: [a] });
      expect(await socket.ack('messages-steer-state', { sid: id, localIds: [a], state: 'dispatching' }), who).to.deep.equal({ ok: false });
      await waitFor(() => socket.events.filter((e) => e.event === 'error' && (e.arg as { id?: string }).id === id).length >= 3, { what: `errors for ${who}` });
      expect(socket.events.find((e) => e.event === 'error')?.arg).to.deep.equal({ message: 'session access denied', code: 'access-denied', scope: 'session', id });
    }
    expect(await queuedState(id, [a, b]), 'nothing changed').to.deep.equal({ queuedLocalIds: [a, b], indeterminateLocalIds: [], invokedLocalMessages: [] });

    expect(await cli.ack('messages-steer-state', { sid: id, localIds: [a], state: 'dispatching' })).to.deep.equal({ ok: true });
    expect(await queuedState(id, [a])).to.deep.equal({ queuedLocalIds: [], indeterminateLocalIds: [a], invokedLocalMessages: [] });
    expect(await cli.ack('messages-steer-state', { sid: id, localIds: [a], state: 'queued' })).to.deep.equal({ ok: true });
    await aliceSse.waitFrame((f) => f.data?.type === 'messages-requeued' && f.data.localIds?.includes(a));
    cli.emit('messages-consumed', { sid: id, localIds: [a], steered: true });
    const consumed = await aliceSse.waitFrame((f) => f.data?.type === 'messages-consumed' && f.data.localIds?.includes(a));
    expect(consumed.data).to.deep.include({ sessionId: id, localIds: [a], steered: true });
    expect((await queuedState(id, [a])).invokedLocalMessages.map((x: { localId: string }) => x.localId)).to.deep.equal([a]);

    cli.events.length = 0;
    cli.emit('messages-consumed', { sid: id, localIds: Array.from({ length: 1001 }, (_, i) => `x${i}`) });
    const tooMany = await waitFor(() => cli.events.find((e) => e.event === 'error')?.arg ?? null, { what: 'the limit error' });
    expect(tooMany).to.deep.equal({ message: 'too many localIds (at most 1000 per event)', code: 'invalid', scope: 'session', id });

    // The session ends: what it was given and never reported taken counts as taken.
    cli.end('completed');
    await waitFor(async () => (await queuedState(id, [b])).invokedLocalMessages.length === 1, { what: 'the sweep' });
    expect(JSON.stringify(bobSse.frames), "bob's stream").to.not.include(id);
    expect(bobs.cli.updates.filter((u) => JSON.stringify(u).includes(id)), "bob's CLI").to.deep.equal([]);
  });

  it('when a shared session\'s own app queues and drops a message, then the web sees it come and go; a plain session ignores it', async () => {
    const shared = await session(alice, { flavor: 'codex', capabilities: { concurrentClients: true } });
    const l = lid('native');
    shared.cli.emit('native-queue-message', { sid: shared.id, localId: l, text: 'typed in the app' });
    const received = await aliceSse.waitFrame((f) => f.data?.type === 'message-received' && f.data.message?.localId === l);
    expect(received.data.message.content).to.deep.equal({ role: 'user', content: { type: 'text', text: 'typed in the app' }, meta: { sentFrom: 'cli', isNativeQueuedMessage: true } });
    expect(await queuedState(shared.id, [l])).to.deep.include({ queuedLocalIds: [l] });
    shared.cli.emit('native-queue-message', { sid: shared.id, localId: l, text: null });
    await aliceSse.waitFrame((f) => f.data?.type === 'message-cancelled' && f.data.localId === l);
    expect(shared.cli.updates.filter((u) => JSON.stringify(u).includes(l)), 'nothing back to the CLI').to.deep.equal([]);
    const plain = await session(alice, { flavor: 'codex' });
    plain.cli.emit('native-queue-message', { sid: plain.id, localId: l, text: 'ignored' });
    // A later message of the same socket is the fence.
    const fence = lid('fence');
    plain.cli.emit('message', { sid: plain.id, localId: fence, message: { role: 'agent', content: { type: 'text', text: 'fence' } } });
    await aliceSse.waitFrame((f) => f.data?.type === 'message-received' && f.data.message?.localId === fence);
    expect(await queuedState(plain.id, [l])).to.deep.equal({ queuedLocalIds: [], indeterminateLocalIds: [], invokedLocalMessages: [] });
  });

  it('when the CLI reconnects or says it is ready, then it is sent again what is still queued for it', async () => {
    const { id, cli } = await session();
    const l = lid('again');
    await post(id, { text: 'again', localId: l });
    await cli.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === l);
    cli.close();
    const back = await StandIn.session(cliUrl, alice, id);
    closers.push(back);
    await back.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === l);
    back.updates.length = 0;
    back.emit('session-ready', { sid: id, time: Date.now() });
    await back.waitUpdate('new-message', (u) => (u.body.message as { localId?: string }).localId === l);
  });
});
