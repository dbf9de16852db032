import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/local-hub.js';
import { HUB_PROCESSES } from '../../scripts/hub-processes.js';
import { freePort } from '../helpers/ports.js';
import { startLocalHub, type RunningHub } from '../helpers/local-hub.js';

async function call(hub: RunningHub, method: string, route: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${hub.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

describe('e2e: the local hub (make run) across a restart', function () {
  this.timeout(180_000);
  let dataDir: string;
  let port: number;
  let hub: RunningHub | null = null;
  let baseToken = '';
  let sessionId = '';

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-local-'));
    port = await freePort();
    hub = await startLocalHub({ dataDir, port });
    baseToken = hub.baseToken;
  });

  after(async () => {
    await hub?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when started on an empty data dir, then it prints the URL and a base token, and /health answers ok', async () => {
    expect(hub!.url).to.equal(`http://127.0.0.1:${port}`);
    expect(baseToken).to.match(/^[^\s:]{16,}$/);
    const health = await call(hub!, 'GET', '/health');
    expect(health.status).to.equal(200);
    expect(health.json).to.include({ status: 'ok', protocolVersion: 1 });
  });

  it('when it runs, then the launcher and every Node child run the JavaScript compiled into dist/, not tsx', () => {
    expect(hub!.proc.spawnargs.slice(1)).to.deep.equal([path.join(REPO_ROOT, 'dist/scripts/run-local.js')]);
    const children = hub!.children();
    // By default auth, session and machine share one process (TEAMHUB_SERVICE_PROCESSES=one);
    // notify runs in its own (its NATS user reads events and sends RPCs, the shared one's may not).
    expect([...children.keys()].sort()).to.deep.equal(['gateway', 'nats', 'notify', 'services']);
    // Each with the Node flags its line in hub-processes.ts gives it (notify's and the gateway's smaller young generation).
    const flagsOf = (name: string) => HUB_PROCESSES.find((p) => p.name === name)?.nodeFlags ?? [];
    expect(flagsOf('notify'), 'notify runs with its own flags').to.not.deep.equal([]);
    expect(flagsOf('gateway'), 'the gateway runs with its own flags').to.include('--max-semi-space-size=4');
    for (const [name, entry] of [['services', 'scripts/services-process.js'], ['notify', 'services/notify/main.js'], ['gateway', 'gateway/main.js']]) {
      expect(children.get(name!)?.argv, name).to.deep.equal([process.execPath, ...flagsOf(name!), path.join(REPO_ROOT, 'dist', entry!)]);
    }
    for (const service of ['auth', 'session', 'machine', 'notify']) expect(hub!.output(), service).to.match(new RegExp(`TEAMHUB_READY ${service} port=\\d+`));
    expect(children.get('nats')?.argv[0]).to.match(/nats-server$/);
  });

  it('when alice creates a session with base:alice, then she reads it back and bob gets 403', async () => {
    const created = await call(hub!, 'POST', '/cli/sessions', `${baseToken}:alice`, { tag: 't1', metadata: { path: '/p', host: 'h' } });
    expect(created.status, JSON.stringify(created.json)).to.equal(200);
    sessionId = created.json.session.id;
    expect(sessionId).to.be.a('string').and.not.equal('');
    expect(created.json.session.metadata).to.deep.include({ path: '/p', host: 'h' });

    const mine = await call(hub!, 'GET', `/cli/sessions/${sessionId}`, `${baseToken}:alice`);
    expect(mine.status).to.equal(200);
    expect(mine.json.session.id).to.equal(sessionId);

    const bobs = await call(hub!, 'GET', `/cli/sessions/${sessionId}`, `${baseToken}:bob`);
    expect(bobs.status).to.equal(403);
    expect(bobs.json).to.deep.equal({ error: 'Session access denied' });
  });

  it('when a wrong base token is used, then the hub answers 401', async () => {
    const res = await call(hub!, 'GET', `/cli/sessions/${sessionId}`, 'not-the-base-token:alice');
    expect(res.status).to.equal(401);
  });

  it('when the launcher gets SIGTERM, then it stops every child and exits 0', async () => {
    const code = await hub!.stop('SIGTERM');
    expect(code, hub!.output().slice(-4000)).to.equal(0);
    hub = null;
  });

  it('when started again on the same data dir, then the same base token is printed and the session is still there', async () => {
    hub = await startLocalHub({ dataDir, port });
    expect(hub.baseToken).to.equal(baseToken);

    const again = await call(hub, 'GET', `/cli/sessions/${sessionId}`, `${baseToken}:alice`);
    expect(again.status).to.equal(200);
    expect(again.json.session.id).to.equal(sessionId);
    expect(again.json.session.metadata).to.deep.include({ path: '/p', host: 'h' });

    const health = await call(hub, 'GET', '/health');
    expect(health.json).to.include({ status: 'ok', protocolVersion: 1 });
  });
});
