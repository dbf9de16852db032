import { expect } from 'chai';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { createCliSession, http, webToken } from '../helpers/hub-harness.js';
import { startLocalHub, type RunningHub } from '../helpers/local-hub.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { StandIn } from '../surface/stand-ins.js';
import { teamhub, tempDir } from './cli-tool-support.js';

/** Each writer's cap, so every session's messages fit in one page of `GET /api/sessions/:id/messages`. */
const PER_WRITER = 40;

interface Writer {
  sessionId: string;
  jwt: string;
  /** Texts the hub acknowledged (200), in the order it did. */
  acked: string[];
  done: Promise<void>;
}

/**
 * `teamhub backup` on a running `make run` hub while four writers post messages, then `teamhub
 * restore` into a fresh data dir: the restored hub has every message acknowledged before the
 * backup started, in order, and starts with the same base token. Refusals: restoring onto a
 * running hub, onto existing data without --overwrite, from a damaged backup.
 */
describe('e2e: teamhub backup and restore of a running local hub', function () {
  this.timeout(300_000);
  const dirs: string[] = [];
  let home: string;
  let source: RunningHub | null = null;
  let restored: RunningHub | null = null;
  let sourceDir: string;
  let backupDir: string;
  let restoreDir: string;
  let baseToken: string;
  let adminToken: string;
  const writers: Writer[] = [];
  let ackedBefore: string[][] = [];
  let backupRun: Awaited<ReturnType<typeof teamhub>>;
  const clis: StandIn[] = [];

  const cli = (args: string[]) => teamhub(args, { home, url: source?.url ?? 'http://127.0.0.1:1' });

  before(async () => {
    home = tempDir('teamhub-backup-home-');
    sourceDir = tempDir('teamhub-backup-src-');
    backupDir = path.join(tempDir('teamhub-backup-out-'), 'copy');
    restoreDir = path.join(tempDir('teamhub-backup-dst-'), 'data');
    dirs.push(home, sourceDir, path.dirname(backupDir), path.dirname(restoreDir));
    source = await startLocalHub({ dataDir: sourceDir, port: await freePort() });
    baseToken = source.baseToken;
    adminToken = source.adminToken!;

    let stop = false;
    for (const who of ['alice', 'alice', 'bob', 'bob']) {
      const token = `${baseToken}:${who}`;
      const session = await createCliSession(source.url, token);
      const w: Writer = { sessionId: session.id, jwt: await webToken(source.url, token), acked: [], done: Promise.resolve() };
      // HAPI takes web messages for a live session only: its CLI is connected and beating.
      clis.push(await StandIn.session(source.url, token, session.id));
      await waitFor(async () => (await http(source!.url, 'GET', `/api/sessions/${session.id}`, { token: w.jwt })).json?.session?.active === true || null, {
        timeoutMs: 15_000,
        what: 'session active',
      });
      const n = writers.length;
      w.done = (async () => {
        for (let k = 0; k < PER_WRITER && !stop; k++) {
          const text = `writer ${n} message ${k}`;
          const r = await http(source!.url, 'POST', `/api/sessions/${w.sessionId}/messages`, { token: w.jwt, body: { text, localId: `w${n}-${k}` } });
          if (r.status !== 200) throw new Error(`writer ${n}: POST ${r.status} ${r.text}`);
          w.acked.push(text);
        }
      })();
      writers.push(w);
    }
    // The backup starts while all four are writing: once each has a few messages in.
    await waitFor(() => writers.every((w) => w.acked.length >= 5) || null, { timeoutMs: 60_000, what: 'every writer posted five messages' });
    ackedBefore = writers.map((w) => [...w.acked]);
    backupRun = await cli(['backup', backupDir, '--data-dir', sourceDir]);
    stop = true;
    await Promise.all(writers.map((w) => w.done));
    for (const c of clis) c.close();
  });

  after(async () => {
    for (const c of clis) c.close();
    await source?.stop('SIGTERM');
    await restored?.stop('SIGTERM');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('when the hub runs and four writers post, then teamhub backup copies it without stopping it', async () => {
    expect(backupRun.code, backupRun.stderr).to.equal(0);
    expect(backupRun.stderr).to.match(/running hub/).and.match(/backup complete/);
    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).to.include({ format: 'teamhub-backup', version: 1, source: 'running' });
    expect(manifest.databases.map((d: { path: string }) => d.path)).to.include.members(['auth.db', 'session.db', 'machine.db']);
    expect(manifest.nats.kind).to.equal('kv');
    // The hub kept serving meanwhile: the writers went on after the backup started.
    expect(writers.some((w, i) => w.acked.length > ackedBefore[i]!.length || w.acked.length === PER_WRITER)).to.equal(true);
    const health = await http(source!.url, 'GET', '/health');
    expect(health.status).to.equal(200);
    // No secret on the command's output.
    expect(backupRun.stderr).not.to.include(baseToken);
    expect(backupRun.stderr).not.to.include(adminToken);
  });

  it("when backup reads the running hub's NATS, then it does so as its own user: the kept buckets only, nothing else on the bus", async () => {
    // The copy has the live bucket's entries (the four sessions were active), read as that user.
    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest.nats.buckets).to.include('teamhub_live');
    expect(manifest.nats.entries).to.be.greaterThan(0);
    // The password is in the launcher's file, not on the command's output.
    const password = readFileSync(path.join(sourceDir, 'nats-auth', 'backup.password'), 'utf8').trim();
    expect(backupRun.stderr + backupRun.stdout).not.to.include(password);

    const { natsUrl } = JSON.parse(readFileSync(path.join(sourceDir, 'hub.json'), 'utf8')) as { natsUrl: string };
    const nc = await connect({ servers: natsUrl, user: 'backup', pass: password, inboxPrefix: '_INBOX_teamhub_backup', reconnect: false });
    try {
      const denied: string[] = [];
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'error') denied.push(String((s as { error?: Error }).error?.message ?? ''));
      })();
      // What backup needs works: the live bucket's keys and entries.
      const live = await new Kvm(nc).open('teamhub_live');
      const keys: string[] = [];
      for await (const k of await live.keys()) keys.push(k);
      expect(keys.length).to.be.greaterThan(0);
      // Anything else is refused: the events, another process's inbox, the events stream, a write.
      nc.subscribe('teamhub.>', { callback: () => undefined });
      nc.subscribe('_INBOX.>', { callback: () => undefined });
      nc.publish('teamhub.palice.rpc.x.spawn-happy-session', new Uint8Array());
      await nc.flush();
      await waitFor(
        () =>
          (denied.some((d) => /Subscription to "teamhub\.>"/.test(d)) &&
            denied.some((d) => /Subscription to "_INBOX\.>"/.test(d)) &&
            denied.some((d) => /Publish to "teamhub\.palice\.rpc/.test(d))) ||
          null,
        { what: 'permission violations' },
      );
      const stream = await nc.request('$JS.API.STREAM.INFO.TEAMHUB_EVENTS', undefined, { timeout: 2000 }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      expect(stream).to.match(/Permissions Violation/);
      const put = await live.put('backup-was-here', 'x').then(
        () => 'written',
        (err: Error) => err.message,
      );
      expect(put).to.match(/Permissions Violation/);
    } finally {
      await nc.close();
    }
  });

  it('when the hub still runs on a data dir, then teamhub restore into it is refused and changes nothing', async () => {
    const before = readdirSync(sourceDir).sort();
    const r = await cli(['restore', backupDir, '--data-dir', sourceDir, '--overwrite']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/a hub is running on .*stop it before restoring/);
    expect(readdirSync(sourceDir).sort()).to.deep.equal(before);
  });

  it('when restored into a fresh data dir and started, then every message acknowledged before the backup is there, in order, with the same base token', async () => {
    await source!.stop('SIGTERM');
    source = null;
    const r = await cli(['restore', backupDir, '--data-dir', restoreDir]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/restore complete/);

    restored = await startLocalHub({ dataDir: restoreDir, port: await freePort() });
    expect(restored.baseToken).to.equal(baseToken);
    // The admin token came back with the secrets (it is not announced again: it was not generated).
    expect(restored.adminToken).to.equal(adminToken);
    expect((await http(restored.url, 'GET', '/admin/v1/overview', { token: adminToken })).status).to.equal(200);
    for (const [i, w] of writers.entries()) {
      const who = i < 2 ? 'alice' : 'bob';
      const jwt = await webToken(restored.url, `${baseToken}:${who}`);
      const res = await http(restored.url, 'GET', `/api/sessions/${w.sessionId}/messages?limit=200`, { token: jwt });
      expect(res.status, res.text).to.equal(200);
      const texts = (res.json as { messages: { content: { content: { text: string } } }[] }).messages.map((m) => m.content.content.text);
      // Everything acknowledged before the backup, in the order it was acknowledged; what came
      // after may or may not be in the copy, but never out of order or invented.
      expect(texts.slice(0, ackedBefore[i]!.length), `writer ${i}`).to.deep.equal(ackedBefore[i]);
      expect(w.acked.slice(0, texts.length), `writer ${i}`).to.deep.equal(texts);
    }
    // Isolation survived the restore: bob cannot read alice's session.
    const bobJwt = await webToken(restored.url, `${baseToken}:bob`);
    const foreign = await http(restored.url, 'GET', `/api/sessions/${writers[0]!.sessionId}/messages?limit=10`, { token: bobJwt });
    expect(foreign.status).to.equal(403);
  });

  it('when the data dir already holds hub data, then restore is refused without --overwrite', async () => {
    await restored!.stop('SIGTERM');
    restored = null;
    const r = await cli(['restore', backupDir, '--data-dir', restoreDir]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/already holds hub data .*--overwrite/);
    const again = await cli(['restore', backupDir, '--data-dir', restoreDir, '--overwrite']);
    expect(again.code, again.stderr).to.equal(0);
  });

  it('when a file of the backup is damaged or the manifest is missing, then restore refuses before touching the data dir', async () => {
    const fresh = path.join(path.dirname(restoreDir), 'fresh');
    const db = path.join(backupDir, 'session.db');
    const bytes = readFileSync(db);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(db, bytes);
    const damaged = await cli(['restore', backupDir, '--data-dir', fresh]);
    expect(damaged.code).to.equal(1);
    expect(damaged.stderr).to.match(/session\.db in the backup is damaged/);

    const notABackup = await cli(['restore', path.dirname(backupDir), '--data-dir', fresh]);
    expect(notABackup.code).to.equal(1);
    expect(notABackup.stderr).to.match(/has no manifest\.json/);
    expect(() => readdirSync(fresh)).to.throw();
  });
});
