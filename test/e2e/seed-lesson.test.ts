import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, decodeJwt, waitFor, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';

/**
 * The seed lesson, line by line, through the gateway the way the real clients use it: one hub,
 * one base token, `<base>:alice`, `:bob`, `:vika`, each seeing only their own sessions and
 * machines over /cli, /api and the socket, and the same string logging in on the web.
 */
describe('e2e seed lesson: one hub, one base token, a namespace per teammate', function () {
  this.timeout(90_000);
  let hub: Hub;
  const TEAM = ['alice', 'bob', 'vika'] as const;
  type Member = (typeof TEAM)[number];
  const sessions = new Map<Member, string>();
  const machines = new Map<Member, string>();
  const jwts = new Map<Member, string>();
  const sockets: CliSocket[] = [];
  const token = (m: string) => `${hub.baseToken}:${m}`;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_AUTH_FAIL_LIMIT: '1000' } });
    for (const m of TEAM) {
      const machineId = `seed-${m}-${randomUUID()}`;
      const reg = await http(hub.url, 'POST', '/cli/machines', { token: token(m), body: { id: machineId, metadata: { ...MACHINE_METADATA, host: `${m}-laptop` } } });
      expect(reg.status, reg.text).to.equal(200);
      machines.set(m, machineId);
      const runner = await connectCli(hub.url, token(m), { machineId });
      sockets.push(runner);
      runner.socket.emit('machine-alive', { machineId, time: Date.now() });
      const created = await http(hub.url, 'POST', '/cli/sessions', { token: token(m), body: { tag: `seed-${m}`, metadata: { path: `/srv/${m}/proj`, host: `${m}-laptop` } } });
      expect(created.status, created.text).to.equal(200);
      sessions.set(m, (created.json as { session: { id: string } }).session.id);
      const login = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: token(m) } });
      expect(login.status, login.text).to.equal(200);
      jwts.set(m, (login.json as { token: string }).token);
    }
  });
  after(async () => {
    sockets.forEach((s) => s.close());
    await hub?.stop();
  });

  it('when each teammate logs in on the web with base:name, then the JWT carries exactly that namespace', () => {
    for (const m of TEAM) expect(decodeJwt(jwts.get(m)!).payload.ns).to.equal(m);
  });

  it('when each teammate lists sessions on the web, then they see exactly their own', async () => {
    for (const m of TEAM) {
      const r = await http(hub.url, 'GET', '/api/sessions', { token: jwts.get(m) });
      expect(r.status).to.equal(200);
      expect((r.json as { sessions: { id: string }[] }).sessions.map((s) => s.id)).to.deep.equal([sessions.get(m)]);
    }
  });

  it('when each teammate lists machines on the web, then they see exactly their own online machine', async () => {
    for (const m of TEAM) {
      const ids = await waitFor(async () => {
        const r = await http(hub.url, 'GET', '/api/machines', { token: jwts.get(m) });
        const list = (r.json as { machines: { id: string }[] }).machines.map((x) => x.id);
        return list.length > 0 ? list : null;
      }, { what: `${m}'s machine online` });
      expect(ids).to.deep.equal([machines.get(m)]);
    }
  });

  it("when a teammate asks for another's session or machine on /cli or /api, then HAPI's 403 answers", async () => {
    for (const m of TEAM) {
      for (const other of TEAM.filter((o) => o !== m)) {
        const cliSession = await http(hub.url, 'GET', `/cli/sessions/${sessions.get(other)}`, { token: token(m) });
        expect(cliSession.status).to.equal(403);
        expect(cliSession.json).to.deep.equal({ error: 'Session access denied' });
        const apiSession = await http(hub.url, 'GET', `/api/sessions/${sessions.get(other)}`, { token: jwts.get(m) });
        expect(apiSession.status).to.equal(403);
        const cliMachine = await http(hub.url, 'GET', `/cli/machines/${machines.get(other)}`, { token: token(m) });
        expect(cliMachine.json).to.deep.equal({ error: 'Machine access denied' });
        const messages = await http(hub.url, 'GET', `/api/sessions/${sessions.get(other)}/messages`, { token: jwts.get(m) });
        expect(messages.status).to.equal(403);
      }
    }
  });

  it("when bob's socket names alice's session, then it is told access-denied and her events never reach him", async () => {
    const bob = await connectCli(hub.url, token('bob'), { sessionId: sessions.get('alice')! });
    sockets.push(bob);
    const err = await bob.waitEvent('error', (e) => e?.id === sessions.get('alice'));
    expect(err).to.include({ code: 'access-denied', scope: 'session' });
    const ack = await bob.ack('update-metadata', { sid: sessions.get('alice'), expectedVersion: 1, metadata: { path: '/x', host: 'y' } });
    expect(ack).to.deep.equal({ result: 'error', reason: 'access-denied' });
    const sid = sessions.get('alice')!;
    const alice = await connectCli(hub.url, token('alice'), { sessionId: sid });
    sockets.push(alice);
    alice.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => ((await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: jwts.get('alice') })).json as { session: { active: boolean } }).session.active, { what: 'alice active' });
    const post = await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: jwts.get('alice'), body: { text: 'for alice only', localId: randomUUID() } });
    expect(post.status, post.text).to.equal(200);
    const update = await alice.waitEvent('update', (u) => u?.body?.t === 'new-message');
    expect(update.body.message.content.content.text).to.equal('for alice only');
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.events('update')).to.have.length(0);
  });

  it('when one computer uses one machine id for alice, then bob reusing it is refused (one computer, one namespace)', async () => {
    const r = await http(hub.url, 'POST', '/cli/machines', { token: token('bob'), body: { id: machines.get('alice'), metadata: MACHINE_METADATA } });
    expect(r.status).to.equal(403);
    expect(r.json).to.deep.equal({ error: 'Machine access denied' });
  });

  it('when a non-ASCII name is used, then the header, the socket handshake and the web login give one namespace', async () => {
    const name = 'ünï-🙂';
    const created = await http(hub.url, 'POST', '/cli/sessions', { token: token(name), body: { tag: 'unicode', metadata: { path: '/u', host: 'h' } } });
    expect(created.status, created.text).to.equal(200);
    const session = (created.json as { session: { id: string; namespace: string } }).session;
    expect(session.namespace).to.equal(name);
    const socket = await connectCli(hub.url, token(name), { sessionId: session.id });
    sockets.push(socket);
    const ack = await socket.ack('update-metadata', { sid: session.id, expectedVersion: 1, metadata: { path: '/u', host: 'h', name: 'via socket' } });
    expect(ack.result).to.equal('success');
    const login = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: token(name) } });
    const jwt = (login.json as { token: string }).token;
    expect(decodeJwt(jwt).payload.ns).to.equal(name);
    const list = await http(hub.url, 'GET', '/api/sessions', { token: jwt });
    expect((list.json as { sessions: { id: string }[] }).sessions.map((s) => s.id)).to.deep.equal([session.id]);
  });
});
