import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createCliSession, http, MACHINE_METADATA, startHub, webToken, type Hub } from '../helpers/hub-harness.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { hapiBinary } from '../surface/hapi-source.js';
import { StandIn } from '../surface/stand-ins.js';
import { teamhub, tempDir } from './cli-tool-support.js';

interface SeenMessage {
  id: string;
  seq: number;
  content: unknown;
}

/** The real HAPI 0.30.7 hub in `root` (its own HOME and HAPI_HOME), on loopback, push off. */
async function startHapi(root: string, baseToken: string): Promise<{ url: string; home: string; proc: ChildProcess; stop: () => Promise<void> }> {
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HAPI_HOME: path.join(home, '.hapi'),
    CLI_API_TOKEN: baseToken,
    HAPI_LISTEN_HOST: '127.0.0.1',
    HAPI_LISTEN_PORT: String(port),
    HAPI_ANDROID_PUSH: 'off',
    HAPI_IOS_PUSH: 'off',
    VAPID_SUBJECT: 'mailto:import@localhost',
  };
  const proc = spawn(hapiBinary(), ['hub'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`the HAPI hub exited with ${proc.exitCode}:\n${out}`);
      return fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok || null, () => null);
    },
    { timeoutMs: 30_000, what: 'the HAPI hub healthy' },
  );
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  return { url, home: env.HAPI_HOME!, proc, stop };
}

/**
 * `teamhub import-hapi` from the database of a real HAPI 0.30.7 hub: sessions with messages in
 * two namespaces and a machine, made through HAPI's own API; after the import, through teamhub's
 * API, alice sees exactly her sessions and messages (same ids, same order, same content) and none
 * of bob's, her machine id stays hers, and a second import changes nothing.
 */
describe('e2e: teamhub import-hapi from a real HAPI 0.30.7 hub', function () {
  this.timeout(240_000);
  const root = tempDir('teamhub-import-hapi-');
  const cliHome = path.join(root, 'cli-home');
  const hapiBase = `importbase${Date.now().toString(36)}abcdef0123`;
  let hapiHome: string;
  let hub: Hub;
  /** What HAPI showed each teammate before it stopped: session id -> its messages in order. */
  const inHapi: Record<'alice' | 'bob', Map<string, SeenMessage[]>> = { alice: new Map(), bob: new Map() };
  const aliceMachine = 'hapi-import-machine-alice';
  let firstImport: Awaited<ReturnType<typeof teamhub>>;

  const importHapi = (args: string[], env: Record<string, string> = { TEAMHUB_ADMIN_TOKEN: hub.adminToken }) => teamhub(['import-hapi', ...args], { home: cliHome, url: hub.url, env });

  before(async () => {
    mkdirSync(cliHome);
    const hapi = await startHapi(path.join(root, 'hapi'), hapiBase);
    hapiHome = hapi.home;
    const sockets: StandIn[] = [];
    try {
      for (const [who, sessions, perSession] of [['alice', 2, 3], ['bob', 1, 2]] as const) {
        const token = `${hapiBase}:${who}`;
        const jwt = await webToken(hapi.url, token);
        for (let i = 0; i < sessions; i++) {
          const s = await createCliSession(hapi.url, token, `${who}-import-${i}`);
          const cli = await StandIn.session(hapi.url, token, s.id, { heartbeatMs: 0 });
          sockets.push(cli);
          for (let k = 0; k < perSession; k++) {
            // Two long answers (HAPI keeps about 60 KB of each) make that session's page larger than the gateway reads
            // before it has checked a credential (64 KiB): the import still goes through.
            const text = who === 'alice' && i === 0 && k < 2 ? `${who} ${i}.${k} ${'long '.repeat(20_000)}` : `${who} ${i}.${k}`;
            cli.emit('message', { sid: s.id, message: JSON.stringify({ role: 'agent', content: { type: 'output', data: { type: 'assistant', text } } }) });
          }
          const seen = await waitFor(
            async () => {
              const r = await http(hapi.url, 'GET', `/api/sessions/${s.id}/messages?limit=50`, { token: jwt });
              const list = (r.json as { messages?: SeenMessage[] })?.messages;
              return list?.length === perSession ? list : null;
            },
            { timeoutMs: 15_000, what: `${who}'s messages in HAPI` },
          );
          inHapi[who].set(s.id, seen.map((m) => ({ id: m.id, seq: m.seq, content: m.content })));
        }
      }
      const m = await http(hapi.url, 'POST', '/cli/machines', { token: `${hapiBase}:alice`, body: { id: aliceMachine, metadata: MACHINE_METADATA, runnerState: null } });
      expect(m.status, m.text).to.equal(200);
    } finally {
      for (const s of sockets) s.close();
      await hapi.stop();
    }
    hub = await startHub();
    firstImport = await importHapi([hapiHome]);
  });

  after(async () => {
    await hub?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('when the stopped HAPI hub is imported, then the command shows progress and what it added', () => {
    expect(firstImport.code, firstImport.stderr).to.equal(0);
    expect(firstImport.stderr).to.match(/importing .*hapi\.db: 3 sessions, 8 messages, 1 machines/);
    expect(firstImport.stderr).to.match(/sessions: 3\/3, messages: 8\/8/);
    expect(firstImport.stderr).to.include('Imported 3 sessions, 8 messages, 1 machines, 0 Telegram bindings');
    expect(firstImport.stderr).not.to.include(hub.adminToken);
  });

  it('when alice reads teamhub, then she sees exactly her sessions and their messages in order, and none of bob\'s', async () => {
    for (const who of ['alice', 'bob'] as const) {
      const jwt = await webToken(hub.url, `${hub.baseToken}:${who}`);
      const list = await http(hub.url, 'GET', '/api/sessions', { token: jwt });
      expect(list.status).to.equal(200);
      const ids = (list.json as { sessions: { id: string }[] }).sessions.map((s) => s.id).sort();
      expect(ids, who).to.deep.equal([...inHapi[who].keys()].sort());
      for (const [sid, messages] of inHapi[who]) {
        const r = await http(hub.url, 'GET', `/api/sessions/${sid}/messages?limit=50`, { token: jwt });
        expect(r.status).to.equal(200);
        const got = (r.json as { messages: SeenMessage[] }).messages.map((m) => ({ id: m.id, seq: m.seq, content: m.content }));
        expect(got, `${who} ${sid}`).to.deep.equal(messages);
      }
    }
    const bobJwt = await webToken(hub.url, `${hub.baseToken}:bob`);
    const [aliceSession] = inHapi.alice.keys();
    const foreign = await http(hub.url, 'GET', `/api/sessions/${aliceSession}/messages?limit=50`, { token: bobJwt });
    expect(foreign.status).to.equal(403);
  });

  it("when bob registers alice's imported machine id, then he gets 403 and alice still has it", async () => {
    const bob = await http(hub.url, 'POST', '/cli/machines', { token: `${hub.baseToken}:bob`, body: { id: aliceMachine, metadata: MACHINE_METADATA, runnerState: null } });
    expect(bob.status).to.equal(403);
    expect(bob.json).to.deep.equal({ error: 'Machine access denied' });
    // The web lists online machines only; alice's runner registering it again is hers to do.
    const alice = await http(hub.url, 'POST', '/cli/machines', { token: `${hub.baseToken}:alice`, body: { id: aliceMachine, metadata: MACHINE_METADATA, runnerState: null } });
    expect(alice.status, alice.text).to.equal(200);
    expect((alice.json as { machine: { id: string } }).machine.id).to.equal(aliceMachine);
  });

  it('when the import runs a second time, then it adds nothing and the counts stay the same', async () => {
    const before = await http(hub.url, 'GET', '/admin/v1/overview', { token: hub.adminToken });
    const again = await importHapi([path.join(hapiHome, 'hapi.db')]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).to.include('Imported 0 sessions, 0 messages, 0 machines, 0 Telegram bindings');
    const after = await http(hub.url, 'GET', '/admin/v1/overview', { token: hub.adminToken });
    const counts = (r: typeof before) =>
      (r.json as { namespaces: Record<string, unknown>[] }).namespaces.map(({ name, sessions, messages, machines }) => ({ name, sessions, messages, machines }));
    expect(counts(after)).to.deep.equal(counts(before));
    expect(counts(after).filter((n) => n.name === 'alice' || n.name === 'bob')).to.deep.equal([
      { name: 'alice', sessions: 2, messages: 6, machines: 1 },
      { name: 'bob', sessions: 1, messages: 2, machines: 0 },
    ]);
  });

  it('when the database has another schema version, is missing, or the admin token is absent, then the import is refused with a clear message', async () => {
    const other = path.join(root, 'other-version.db');
    copyFileSync(path.join(hapiHome, 'hapi.db'), other);
    const db = new Database(other);
    db.pragma('user_version = 25');
    db.close();
    const old = await importHapi([other]);
    expect(old.code).to.equal(1);
    expect(old.stderr).to.match(/schema version 25; teamhub imports HAPI 0\.30\.x databases \(schema version 26\)/);

    const missing = await importHapi([path.join(root, 'nowhere')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/nowhere does not exist/);

    const noHome = await importHapi([root]);
    expect(noHome.code).to.equal(1);
    expect(noHome.stderr).to.match(/has no hapi\.db/);

    const noToken = await importHapi([hapiHome], {});
    expect(noToken.code).to.equal(1);
    expect(noToken.stderr).to.match(/An admin token is needed/);

    const wrongToken = await importHapi([hapiHome], { TEAMHUB_ADMIN_TOKEN: 'not-the-admin-token-0123456789' });
    expect(wrongToken.code).to.equal(1);
    expect(wrongToken.stderr).to.match(/HTTP 40[13]/);
  });
});
