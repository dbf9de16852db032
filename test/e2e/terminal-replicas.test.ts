import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';

/** A page's `/terminal` socket with a web JWT; every event it receives is recorded. */
interface PageSocket {
  socket: Socket;
  events: Array<{ event: string; arg: any }>;
  wait(event: string, pred?: (a: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

async function page(url: string, jwt: string): Promise<PageSocket> {
  const socket = io(`${url}/terminal`, { path: '/socket.io/', transports: ['websocket'], auth: { token: jwt }, reconnection: false, forceNew: true });
  const events: PageSocket['events'] = [];
  socket.onAny((event: string, arg: unknown) => events.push({ event, arg }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    events,
    wait: (event, pred = () => true, timeoutMs = 5000) => waitFor(() => events.find((e) => e.event === event && pred(e.arg))?.arg ?? null, { what: `page event ${event}`, timeoutMs }),
    close: () => socket.close(),
  };
}

/** The CLI of a session as a shell that echoes what it is sent (terminal:open answers ready and a prompt). */
function echoShell(cli: CliSocket): void {
  cli.socket.on('terminal:open', (d: { sessionId: string; terminalId: string }) => {
    cli.socket.emit('terminal:ready', { sessionId: d.sessionId, terminalId: d.terminalId });
    cli.socket.emit('terminal:output', { sessionId: d.sessionId, terminalId: d.terminalId, data: '$ ' });
  });
  cli.socket.on('terminal:write', (d: { sessionId: string; terminalId: string; data: string }) => {
    cli.socket.emit('terminal:output', { sessionId: d.sessionId, terminalId: d.terminalId, data: `echo:${d.data}` });
  });
}

const tid = () => `t-${randomBytes(4).toString('hex')}`;

describe('e2e terminal: the web terminal with the page and the CLI on different gateway replicas', function () {
  this.timeout(60_000);
  let hub: Hub;
  let r1: string;
  let r2: string;
  let alice: string;
  let aliceJwt: string;
  let bobJwt: string;
  const closers: Array<{ close(): void }> = [];
  const keep = <T extends { close(): void }>(c: T): T => (closers.push(c), c);

  /** An active session of alice's with its CLI socket on replica 1. */
  async function aliceSession(): Promise<{ id: string; cli: CliSocket }> {
    const s = await createCliSession(r1, alice);
    const cli = keep(await connectCli(r1, alice, { sessionId: s.id }));
    cli.socket.emit('session-alive', { sid: s.id, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(r2, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).json?.session?.active === true, { what: 'session active' });
    return { id: s.id as string, cli };
  }

  before(async () => {
    hub = await startHub({ gateways: 2, env: { HAPI_TERMINAL_MAX_TERMINALS: '2' } });
    [r1, r2] = hub.urls as [string, string];
    alice = `${hub.baseToken}:alice`;
    aliceJwt = await webToken(r1, alice);
    bobJwt = await webToken(r1, `${hub.baseToken}:bob`);
  });
  afterEach(() => {
    for (const c of closers.splice(0)) c.close();
  });
  after(async () => {
    await hub?.stop();
  });

  it('when the page on replica 2 opens a terminal and types, then the CLI on replica 1 opens it and its echo reaches the page', async () => {
    const s = await aliceSession();
    echoShell(s.cli);
    const p = keep(await page(r2, aliceJwt));
    const t = tid();
    p.socket.emit('terminal:create', { sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
    expect(await s.cli.waitEvent('terminal:open')).to.deep.equal({ sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
    expect(await p.wait('terminal:ready')).to.deep.equal({ sessionId: s.id, terminalId: t });
    p.socket.emit('terminal:write', { terminalId: t, data: 'ls\r' });
    expect(await p.wait('terminal:output', (a) => a.data === 'echo:ls\r')).to.deep.equal({ sessionId: s.id, terminalId: t, data: 'echo:ls\r' });
    p.socket.emit('terminal:resize', { terminalId: t, cols: 120, rows: 40 });
    expect(await s.cli.waitEvent('terminal:resize')).to.deep.equal({ sessionId: s.id, terminalId: t, cols: 120, rows: 40 });
    s.cli.socket.emit('terminal:exit', { sessionId: s.id, terminalId: t, code: 0, signal: null });
    expect(await p.wait('terminal:exit')).to.deep.equal({ sessionId: s.id, terminalId: t, code: 0, signal: null });
  });

  it('when the page reloads and reopens its terminal on the other replica, then it gets the output it missed', async () => {
    const s = await aliceSession();
    echoShell(s.cli);
    const first = await page(r2, aliceJwt);
    const t = tid();
    first.socket.emit('terminal:create', { sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
    await first.wait('terminal:output', (a) => a.data === '$ ');
    first.close();
    s.cli.socket.emit('terminal:output', { sessionId: s.id, terminalId: t, data: 'while away\r\n' });
    const again = keep(await page(r1, aliceJwt));
    again.socket.emit('terminal:create', { sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
    const replay = await again.wait('terminal:output', (a) => typeof a.data === 'string' && a.data.includes('while away'));
    expect(replay).to.deep.equal({ terminalId: t, data: '$ while away\r\n' });
  });

  it('when bob opens, writes to or answers for alice\'s terminal, then he is refused and nothing crosses between them', async () => {
    const s = await aliceSession();
    echoShell(s.cli);
    const p = keep(await page(r2, aliceJwt));
    const t = tid();
    p.socket.emit('terminal:create', { sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
    await p.wait('terminal:ready');
    const bob = keep(await page(r1, bobJwt));
    bob.socket.emit('terminal:create', { sessionId: s.id, terminalId: 'bob-t', cols: 80, rows: 24 });
    expect(await bob.wait('terminal:error')).to.deep.equal({ terminalId: 'bob-t', message: 'Session is inactive or unavailable.' });
    // Bob writes into alice's terminal id and his CLI socket answers for it.
    bob.socket.emit('terminal:write', { terminalId: t, data: 'cat ~/.ssh/id_rsa\r' });
    const bobCli = keep(await connectCli(r2, `${hub.baseToken}:bob`, { sessionId: s.id }));
    bobCli.socket.emit('terminal:output', { sessionId: s.id, terminalId: t, data: 'forged' });
    // Alice's own write is the fence: once its echo arrived, bob's frames would have too.
    p.socket.emit('terminal:write', { terminalId: t, data: 'marker' });
    await p.wait('terminal:output', (a) => a.data === 'echo:marker');
    expect(s.cli.events('terminal:write').map((w) => w.data)).to.deep.equal(['marker']);
    expect(p.events.filter((e) => e.event === 'terminal:output' && e.arg.data === 'forged')).to.deep.equal([]);
    expect(s.cli.events('terminal:open').filter((o) => o.terminalId === 'bob-t')).to.deep.equal([]);
    expect(bob.events.filter((e) => e.event !== 'terminal:error')).to.deep.equal([]);
  });

  it('when a page socket has the most terminals open, then one more is refused with HAPI\'s text; a session without a CLI is refused too', async () => {
    const s = await aliceSession();
    echoShell(s.cli);
    const p = keep(await page(r2, aliceJwt));
    for (const id of ['a', 'b']) {
      p.socket.emit('terminal:create', { sessionId: s.id, terminalId: `${s.id}-${id}`, cols: 80, rows: 24 });
      await p.wait('terminal:ready', (a) => a.terminalId === `${s.id}-${id}`);
    }
    p.socket.emit('terminal:create', { sessionId: s.id, terminalId: `${s.id}-c`, cols: 80, rows: 24 });
    expect(await p.wait('terminal:error')).to.deep.equal({ terminalId: `${s.id}-c`, message: 'Too many terminals open (max 2).' });
    // Reopening one it has is not one more.
    p.socket.emit('terminal:create', { sessionId: s.id, terminalId: `${s.id}-a`, cols: 80, rows: 24 });
    await waitFor(() => s.cli.events('terminal:open').filter((o) => o.terminalId === `${s.id}-a`).length === 2, { what: 'reopen' });
    const bad = await page(r2, 'not-a-jwt').catch((err: Error) => err);
    expect((bad as Error).message).to.equal('Invalid token');
  });

  it('when the CLI socket goes away, then the page is told "CLI disconnected." and a new terminal finds no CLI', async () => {
    const s = await aliceSession();
    echoShell(s.cli);
    const p = keep(await page(r2, aliceJwt));
    const t = tid();
    p.socket.emit('terminal:create', { sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
    await p.wait('terminal:ready');
    s.cli.close();
    expect(await p.wait('terminal:error')).to.deep.equal({ terminalId: t, message: 'CLI disconnected.' });
    const t2 = tid();
    p.socket.emit('terminal:create', { sessionId: s.id, terminalId: t2, cols: 80, rows: 24 });
    expect(await p.wait('terminal:error', (a) => a.terminalId === t2)).to.deep.equal({ terminalId: t2, message: 'CLI is not connected for this session.' });
  });

  it('when the page watches the agent terminal from replica 2, then the CLI repaints, its output arrives, input goes back, and leaving sends idle', async () => {
    const s = await aliceSession();
    const p = keep(await page(r2, aliceJwt));
    s.cli.socket.on('agent-terminal:refresh', () => s.cli.socket.emit('agent-terminal:output', { sessionId: s.id, terminalId: 'agent', data: 'repainted' }));
    p.socket.emit('agent-terminal:subscribe', { sessionId: s.id });
    expect(await p.wait('agent-terminal:output')).to.deep.equal({ sessionId: s.id, terminalId: 'agent', data: 'repainted' });
    p.socket.emit('agent-terminal:input', { sessionId: s.id, data: 'y' });
    expect(await s.cli.waitEvent('agent-terminal:input')).to.deep.equal({ sessionId: s.id, data: 'y' });
    const bob = keep(await page(r1, bobJwt));
    bob.socket.emit('agent-terminal:subscribe', { sessionId: s.id });
    bob.socket.emit('agent-terminal:input', { sessionId: s.id, data: 'rm -rf /' });
    p.socket.emit('agent-terminal:input', { sessionId: s.id, data: 'marker' });
    await s.cli.waitEvent('agent-terminal:input', (a) => a.data === 'marker');
    s.cli.socket.emit('agent-terminal:output', { sessionId: s.id, terminalId: 'agent', data: 'after bob' });
    await p.wait('agent-terminal:output', (a) => a.data === 'after bob');
    expect(s.cli.events('agent-terminal:input').map((i) => i.data)).to.deep.equal(['y', 'marker']);
    expect(s.cli.events('agent-terminal:refresh')).to.have.length(1);
    expect(bob.events).to.deep.equal([]);
    s.cli.socket.emit('session-end', { sid: s.id, time: Date.now() });
    expect(await p.wait('agent-terminal:output', (a) => a.data.includes('terminated'))).to.deep.equal({ sessionId: s.id, terminalId: 'agent', data: '\r\n[Session terminated]\r\n' });
    p.socket.emit('agent-terminal:unsubscribe', { sessionId: s.id });
    expect(await s.cli.waitEvent('agent-terminal:idle')).to.deep.equal({ sessionId: s.id });
  });
});

describe('e2e terminal: an idle terminal is closed', function () {
  this.timeout(60_000);
  let hub: Hub;

  before(async () => {
    hub = await startHub({ env: { HAPI_TERMINAL_IDLE_TIMEOUT_MS: '1500' } });
  });
  after(async () => {
    await hub?.stop();
  });

  it('when nothing is typed or printed for the idle timeout, then the page is told and the CLI gets terminal:close', async () => {
    const alice = `${hub.baseToken}:alice`;
    const s = await createCliSession(hub.url, alice);
    const cli = await connectCli(hub.url, alice, { sessionId: s.id });
    const jwt = await webToken(hub.url, alice);
    cli.socket.emit('session-alive', { sid: s.id, time: Date.now(), thinking: false });
    const p = await page(hub.url, jwt);
    try {
      await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: jwt })).json?.session?.active === true, { what: 'session active' });
      const t = tid();
      const asked = Date.now();
      p.socket.emit('terminal:create', { sessionId: s.id, terminalId: t, cols: 80, rows: 24 });
      await cli.waitEvent('terminal:open');
      expect(await p.wait('terminal:error', (a) => a.terminalId === t, 10_000)).to.deep.equal({ terminalId: t, message: 'Terminal closed due to inactivity.' });
      expect(Date.now() - asked).to.be.at.least(1500);
      expect(await cli.waitEvent('terminal:close')).to.deep.equal({ sessionId: s.id, terminalId: t });
    } finally {
      p.close();
      cli.close();
    }
  });
});
