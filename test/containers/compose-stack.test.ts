import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventStreamName } from '../../lib/events/stream.js';
import { parseNamespace } from '../../lib/namespace.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { secondsSince } from './helpers/commands.js';
import { ComposeStack, type StackContainer } from './helpers/compose.js';
import { Engine } from './helpers/engine.js';
import { HealthcheckScheduler } from './helpers/healthcheck-scheduler.js';
import { buildInstalledImage, ensureBaseImages, ensureStandIns, type ImageBuilt } from './helpers/images.js';
import { countPerReplica, crashServiceProcess, delta, format, gatewayOfSocket, healthOf, servedCall, servedRequest } from './helpers/replicas.js';
import { SteadyLoad, type LoadTotals } from './helpers/steady-load.js';
import { TierReport } from './helpers/tier-report.js';
import { HubClient, type CliSocket } from './helpers/tls-clients.js';

/**
 * The containers tier: the repository's Dockerfile and docker-compose.yml, really run, on
 * podman's Docker-compatible API with docker-compose (scripts/containers/engine.sh), with local
 * stand-ins only for the images no registry can give here (test/containers/compose.standins.yml).
 * Everything a client does goes through Caddy over HTTPS on a loopback port, verified against
 * Caddy's own CA. The stack runs scaled (`--scale session=3 --scale gateway=2`) from the start.
 */

const TEAMHUB_SERVICES = ['auth', 'session', 'machine', 'notify', 'gateway'];
const SCALE = { session: 3, gateway: 2 };
const MACHINE_METADATA = { host: 'containerhost', platform: 'linux', happyCliVersion: '0.30.7' };
const SESSION_METADATA = { path: '/srv/proj', host: 'containerhost' };
/** The JetStream stream of the namespace the steady load writes in (each namespace has its own). */
const CAROL_EVENTS = eventStreamName(parseNamespace('carol'));

describe('containers: docker-compose.yml on a real engine, scaled, through Caddy over HTTPS', function () {
  const report = new TierReport();
  const runStartedAt = Date.now() - 1000;
  const run = randomBytes(4).toString('hex');
  const project = `teamhub-test-${run}`;
  const builtImages: string[] = [];
  const sockets: CliSocket[] = [];
  let engine: Engine | undefined;
  let stack: ComposeStack | undefined;
  let scheduler: HealthcheckScheduler | undefined;
  let client: HubClient;
  let baseToken = '';
  let adminToken = '';
  const token = (name: string) => `${baseToken}:${name}`;
  const webTokens = new Map<string, string>();

  const s = () => stack!;
  const keep = (sock: CliSocket) => (sockets.push(sock), sock);
  const webToken = async (name: string) => {
    if (!webTokens.has(name)) {
      const r = await client.request('POST', '/api/auth', { body: { accessToken: token(name) } });
      if (r.status !== 200) throw new Error(`POST /api/auth as ${name}: ${r.status} ${r.text}`);
      webTokens.set(name, r.json.token as string);
    }
    return webTokens.get(name)!;
  };
  const createSession = async (name: string) => {
    const r = await client.request('POST', '/cli/sessions', { token: token(name), body: { tag: randomUUID(), metadata: SESSION_METADATA, agentState: {} } });
    if (r.status !== 200) throw new Error(`POST /cli/sessions as ${name}: ${r.status} ${r.text}`);
    return r.json.session.id as string;
  };
  /** Until the web API shows the session live (its CLI socket's heartbeat reached the hub). */
  const untilActive = async (name: string, sid: string) => {
    const jwt = await webToken(name);
    await waitFor(async () => (await client.request('GET', `/api/sessions/${sid}`, { token: jwt })).json?.session?.active === true, { timeoutMs: 15_000, intervalMs: 200, what: `session ${sid} active` });
  };
  const postMessage = (name: string, sid: string, localId: string) =>
    webToken(name).then((jwt) => client.request('POST', `/api/sessions/${sid}/messages`, { token: jwt, body: { text: localId, localId } }));
  const newMessage = (localId: string) => (u: any) => u?.body?.t === 'new-message' && u.body.message?.localId === localId;
  const teamhubContainers = async () => (await s().containers()).filter((c) => TEAMHUB_SERVICES.includes(c.service));

  before(async function () {
    // A clean machine builds everything from scratch (debootstrap, every image); see the README.
    this.timeout(15 * 60_000);
    const started = Date.now();
    engine = await Engine.start();
    report.add('engine', `podman API service (scripts/containers/engine.sh), DOCKER_HOST=${engine.env.DOCKER_HOST}`);
    const removed = await removeLeftoverStacks(engine);
    if (removed.length) report.add('engine', `removed stacks that killed runs left behind: ${removed.join(', ')}`);
    claimProject(engine, project);

    const images: ImageBuilt[] = [...(await ensureBaseImages(engine))];
    const standIns = await ensureStandIns(engine);
    images.push(...standIns.report);
    const installed = `localhost/teamhub-test/installed:${run}`;
    images.push(await buildInstalledImage(engine, installed));
    builtImages.push(installed);

    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const image = `localhost/teamhub-test/teamhub:${run}`;
    stack = new ComposeStack(engine, project, {
      TEAMHUB_TEST_IMAGE: image,
      TEAMHUB_TEST_INSTALLED_IMAGE: installed,
      TEAMHUB_TEST_MONGO_IMAGE: standIns.images.mongo,
      TEAMHUB_TEST_NATS_IMAGE: standIns.images.nats,
      TEAMHUB_TEST_CADDY_IMAGE: standIns.images.caddy,
      // Published on loopback only.
      TEAMHUB_HTTP_PORT: `127.0.0.1:${httpPort}`,
      TEAMHUB_HTTPS_PORT: `127.0.0.1:${httpsPort}`,
    });
    const buildStarted = Date.now();
    // One build serves every teamhub service (they share the image); `up` then reuses it.
    await s().mustCompose(['build', 'secrets'], 10 * 60_000);
    builtImages.push(image);
    images.push({ image, role: "the project's Dockerfile (docker-compose build)", built: true, seconds: secondsSince(buildStarted) });
    for (const i of images) report.add('images', `${i.image}: ${i.built ? `built in ${i.seconds} s` : 'cached'} (${i.role})`);

    scheduler = new HealthcheckScheduler(s());
    scheduler.start();
    const upStarted = Date.now();
    await s().mustCompose(['up', '-d', '--no-build', '--scale', `session=${SCALE.session}`, '--scale', `gateway=${SCALE.gateway}`], 8 * 60_000);
    report.add('stack', `docker-compose up -d --scale session=${SCALE.session} --scale gateway=${SCALE.gateway}: ${secondsSince(upStarted)} s (healthchecks gate each step)`);

    const proxy = (await s().containers('proxy'))[0]!;
    const ca = await waitFor(async () => {
      const r = await s().exec(proxy.name, ['cat', '/data/caddy/pki/authorities/local/root.crt']);
      return r.code === 0 && r.stdout.includes('BEGIN CERTIFICATE') ? r.stdout : null;
    }, { timeoutMs: 30_000, intervalMs: 250, what: "Caddy's local CA certificate" });
    client = new HubClient(`https://localhost:${httpsPort}`, ca);
    await waitFor(async () => (await client.request('GET', '/health').catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 30_000, intervalMs: 250, what: 'HTTPS /health through Caddy' });
    const auth = (await s().containers('auth'))[0]!;
    const authLog = await s().logs(auth.name);
    baseToken = /^TEAMHUB_BASE_TOKEN=(\S+)$/m.exec(authLog)?.[1] ?? '';
    adminToken = /^TEAMHUB_ADMIN_TOKEN=(\S+)$/m.exec(authLog)?.[1] ?? '';
    expect(baseToken, 'the auth service announces the base token in its log').to.not.equal('');
    expect(adminToken, 'the auth service announces the admin token in its log').to.not.equal('');
    const running = (await s().containers()).map((c) => c.service);
    const replicas = [...new Set(running)].map((svc) => `${svc} ${running.filter((x) => x === svc).length}`);
    report.add('stack', `containers: ${replicas.join(', ')}; ready after ${secondsSince(started)} s`);
  });

  after(async function () {
    this.timeout(5 * 60_000);
    for (const sock of sockets) sock.close();
    client?.close();
    if (process.env.TEAMHUB_CONTAINERS_KEEP === '1' && stack) {
      // For a developer looking into a failure: the stack, its images and the engine stay up.
      report.add('cleanup', `TEAMHUB_CONTAINERS_KEEP=1: project ${project} left running (engine.sh env; docker-compose -p ${project} ... down --volumes; engine.sh stop)`);
      report.print();
      return;
    }
    scheduler?.stop();
    if (stack) {
      const down = await stack.compose(['down', '--volumes', '--remove-orphans', '--timeout', '5'], 3 * 60_000);
      report.add('cleanup', `docker-compose down --volumes: exit ${down.code ?? 'timeout'}`);
    }
    if (engine) {
      releaseProject(engine, project);
      for (const image of builtImages) await engine.podman(['rmi', '--force', image]);
      // The build's own stages stay behind as untagged images; drop the ones this run made.
      const dangling = JSON.parse((await engine.podman(['images', '--filter', 'dangling=true', '--format', 'json'])).stdout || '[]') as Array<{ Id: string; Created: number }>;
      const ours = dangling.filter((i) => i.Created * 1000 >= runStartedAt).map((i) => i.Id);
      if (ours.length) await engine.podman(['rmi', '--force', ...ours]);
      if (builtImages.length) report.add('cleanup', `removed the images this run built: ${builtImages.join(', ')} and ${ours.length} untagged build stages (base and stand-in images stay cached)`);
      report.add('cleanup', (await engine.stop()) || 'engine stopped; the host needed no restoring');
    }
    report.print();
  });

  describe('what runs', () => {
    it('when the stack is up, then every service runs its replicas and every healthcheck reports healthy (podman healthcheck run)', async function () {
      this.timeout(120_000);
      const all = await s().containers(undefined, true);
      const count = (svc: string) => all.filter((c) => c.service === svc && c.state === 'running').length;
      expect(count('session')).to.equal(SCALE.session);
      expect(count('gateway')).to.equal(SCALE.gateway);
      for (const svc of ['auth', 'machine', 'notify', 'mongo', 'nats-1', 'nats-2', 'nats-3', 'proxy']) expect(count(svc), svc).to.equal(1);
      const secrets = all.find((c) => c.service === 'secrets')!;
      expect((await s().inspect(secrets.name)).State.ExitCode, 'the one-shot secrets service exited 0').to.equal(0);
      const checked: string[] = [];
      for (const c of all.filter((x) => x.state === 'running')) {
        const info = await s().inspect(c.name);
        if (!info.Config?.Healthcheck?.Test?.length) continue;
        const res = await s().engine.podman(['healthcheck', 'run', c.name], 30_000);
        expect(res.code, `${c.name}: ${res.stdout}${res.stderr}`).to.equal(0);
        expect(healthOf(await s().inspect(c.name)), c.name).to.equal('healthy');
        checked.push(c.service);
      }
      expect(checked).to.include.members(['mongo', 'nats-1', 'nats-2', 'nats-3', ...TEAMHUB_SERVICES]);
      report.add('checks', `healthchecks run and healthy: ${checked.length} containers (${[...new Set(checked)].join(', ')})`);
    });

    it('when the teamhub containers run, then no process in them runs as root', async () => {
      const image = (await s().inspect((await teamhubContainers())[0]!.name)).ImageName;
      expect((await s().engine.mustPodman(['image', 'inspect', '--format', '{{.Config.User}}', image])).trim(), 'the image says USER node').to.equal('node');
      let processes = 0;
      for (const c of await teamhubContainers()) {
        const top = await s().engine.mustPodman(['top', c.name, 'hpid', 'user', 'args']);
        const rows = top.trim().split('\n').slice(1);
        expect(rows.length, `${c.name} runs processes`).to.be.greaterThan(0);
        for (const row of rows) {
          const [hpid, user] = row.trim().split(/\s+/);
          expect(user, `${c.name}: ${row}`).to.equal('node');
          // The kernel's view, from the host: real, effective, saved and filesystem uid.
          const uids = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${hpid}/status`, 'utf8'))?.[1]?.split(/\s+/);
          expect(uids, `${c.name}: ${row}`).to.deep.equal(['1000', '1000', '1000', '1000']);
          processes += 1;
        }
      }
      report.add('checks', `non-root: ${processes} processes in the teamhub containers, all uid 1000 (node), image USER node`);
    });

    it('when the teamhub containers run, then each runs its entry compiled to JavaScript (node dist/<entry>.js), not tsx', async () => {
      const seen: string[] = [];
      for (const c of await teamhubContainers()) {
        const top = await s().engine.mustPodman(['top', c.name, 'args']);
        const rows = top.trim().split('\n').slice(1).map((row) => row.trim());
        for (const row of rows) expect(row, c.name).to.not.include('tsx');
        // The service, beside the init and a healthcheck the tier's scheduler may be running.
        const commands = rows.filter((row) => row.startsWith('node ') && !row.startsWith('node deploy/healthcheck.mjs '));
        expect(commands, `${c.name}: ${top}`).to.have.length(1);
        expect(commands[0], c.name).to.match(/^node dist\/(services\/[a-z]+|gateway)\/main\.js$/);
        seen.push(`${c.service}: ${commands[0]}`);
      }
      report.add('checks', `compiled JavaScript: ${[...new Set(seen)].join('; ')}`);
    });

    it('when the services start, then auth wrote the internal secret to the shared volume and every other service reads that same one, read-only', async () => {
      const digests = new Map<string, string>();
      for (const c of await teamhubContainers()) {
        const info = await s().inspect(c.name);
        const mount = (info.Mounts as any[]).find((m) => m.Destination === '/secrets');
        expect(mount?.Name, `${c.name} mounts the secrets volume`).to.equal(`${project}_secrets`);
        expect(Boolean(mount.RW), `${c.name} may write /secrets`).to.equal(c.service === 'auth');
        const sum = await s().exec(c.name, ['sha256sum', '/secrets/internal']);
        expect(sum.code, `${c.name}: ${sum.stderr}`).to.equal(0);
        digests.set(c.name, sum.stdout.split(' ')[0]!);
        const modes = await s().exec(c.name, ['stat', '-c', '%a %U', '/secrets/internal', '/secrets/nats-password', '/secrets/mongo-password']);
        expect(modes.stdout.trim().split('\n'), c.name).to.deep.equal(['600 node', '600 node', '600 node']);
        if (c.service !== 'auth') {
          const write = await s().exec(c.name, ['sh', '-c', 'echo x > /secrets/probe']);
          expect(write.code, `${c.name} could write the secrets volume`).to.not.equal(0);
          expect(write.stderr).to.match(/read-only/i);
        }
      }
      expect(new Set(digests.values()).size, [...digests].join(', ')).to.equal(1);
      // The infrastructure containers see their own secrets only.
      const nats = (await s().containers('nats-1'))[0]!;
      expect((await s().exec(nats.name, ['test', '-e', '/secrets/internal'])).code).to.not.equal(0);
      expect((await s().exec(nats.name, ['test', '-s', '/etc/nats/secrets/teamhub.conf'])).code).to.equal(0);
      const mongo = (await s().containers('mongo'))[0]!;
      expect((await s().exec(mongo.name, ['test', '-s', '/mongo-secrets/keyfile'])).code).to.equal(0);
      expect((await s().exec(mongo.name, ['test', '-e', '/secrets/internal'])).code).to.not.equal(0);
      report.add('checks', `the internal secret: one value in ${digests.size} teamhub containers, written by auth, read-only elsewhere`);
    });

    it('when a client reaches NATS without the generated credentials, then every node refuses it; the three nodes are one JetStream cluster keeping 3 copies', async function () {
      this.timeout(60_000);
      const gw = (await s().containers('gateway'))[0]!;
      // Runs inside a gateway container, on the compose network; it reads the password from the
      // file itself and prints no secret.
      const probe = `
        import { readFileSync } from 'node:fs';
        import { connect } from '@nats-io/transport-node';
        import { jetstreamManager } from '@nats-io/jetstream';
        const servers = ['nats://nats-1:4222', 'nats://nats-2:4222', 'nats://nats-3:4222'];
        const refused = [];
        for (const server of servers) for (const opts of [{}, { user: 'teamhub', pass: 'wrong' }]) {
          const err = await connect({ servers: server, maxReconnectAttempts: 0, ...opts }).then((c) => c.close().then(() => null), (e) => e);
          refused.push(err ? String(err.message) : 'connected');
        }
        const nc = await connect({ servers, user: 'teamhub', pass: readFileSync('/secrets/nats-password', 'utf8').trim() });
        const jsm = await jetstreamManager(nc);
        const streams = {};
        // Every stream the hub made so far: the KV buckets and each namespace's event stream.
        for await (const info of jsm.streams.list()) {
          streams[info.config.name] = { replicas: info.config.num_replicas, leader: info.cluster?.leader, peers: (info.cluster?.replicas ?? []).map((r) => r.name) };
        }
        await nc.close();
        console.log(JSON.stringify({ refused, streams }));`;
      const res = await s().exec(gw.name, ['node', '--input-type=module', '-e', probe], 45_000);
      expect(res.code, res.stderr).to.equal(0);
      const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { refused: string[]; streams: Record<string, { replicas: number; leader: string; peers: string[] }> };
      expect(out.refused).to.have.length(6);
      for (const r of out.refused) expect(r).to.match(/authorization/i);
      expect(Object.keys(out.streams)).to.include.members(['KV_teamhub_replicas', 'KV_teamhub_live', 'KV_teamhub_telegram']);
      for (const [name, st] of Object.entries(out.streams)) {
        expect(st.replicas, name).to.equal(3);
        expect([st.leader, ...st.peers].sort(), name).to.deep.equal(['nats-1', 'nats-2', 'nats-3']);
      }
      report.add('checks', `NATS: 6/6 connections without the generated password refused; every stream (${Object.keys(out.streams).length}: the namespaces' event streams, the gateway's two KV buckets the SSE stream registry and the notify service's state bucket) has 3 copies on nats-1..3`);
      report.add('checks', 'MongoDB credentials: generated into mongo-secrets and wired in docker-compose.yml, but not exercised here (the stand-in has no authentication)');
    });

    it('when the stack has run, then no generated secret appears in any container log', async () => {
      const auth = (await s().containers('auth'))[0]!;
      const nats = (await s().containers('nats-1'))[0]!;
      const read = async (c: StackContainer, file: string) => (await s().exec(c.name, ['cat', file])).stdout.trim();
      const secrets = {
        internal: await read(auth, '/secrets/internal'),
        'nats password': await read(auth, '/secrets/nats-password'),
        'mongo password': await read(auth, '/secrets/mongo-password'),
        'nats route password': await read(nats, '/etc/nats/secrets/route-password'),
      };
      for (const [what, value] of Object.entries(secrets)) expect(value.length, what).to.be.at.least(16);
      for (const c of await s().containers(undefined, true)) {
        let log = await s().logs(c.name);
        // The auth service shows the tokens on purpose, on lines of their own: the banner when it
        // generates the base token, and TEAMHUB_BASE_TOKEN= / TEAMHUB_ADMIN_TOKEN= for operators
        // (README: `docker compose logs auth | grep TEAMHUB_BASE_TOKEN`). Nowhere else.
        if (c.service === 'auth') log = log.replace(/^(\s*CLI_API_TOKEN|TEAMHUB_BASE_TOKEN|TEAMHUB_ADMIN_TOKEN)=\S+$/gm, '');
        for (const [what, value] of Object.entries({ ...secrets, 'base token': baseToken, 'admin token': adminToken })) {
          const line = log.split('\n').find((l) => l.includes(value));
          expect(line?.replaceAll(value, `<${what}>`), `${what} in the log of ${c.name}`).to.equal(undefined);
        }
      }
    });
  });

  describe('namespaces through Caddy', () => {
    it('when alice and bob each create sessions and machines, post messages and hold CLI sockets, then nothing of one reaches the other on REST, sockets or SSE', async function () {
      this.timeout(120_000);
      const people = ['alice', 'bob'] as const;
      const state = {} as Record<(typeof people)[number], { sid: string; mid: string; session: CliSocket; machine: CliSocket; sse: Awaited<ReturnType<HubClient['sse']>> }>;
      for (const name of people) {
        const mid = randomUUID();
        const m = await client.request('POST', '/cli/machines', { token: token(name), body: { id: mid, metadata: MACHINE_METADATA } });
        expect(m.status, m.text).to.equal(200);
        const sid = await createSession(name);
        const sse = await client.sse('/api/events?all=true', await webToken(name));
        expect(sse.status).to.equal(200);
        state[name] = {
          sid,
          mid,
          session: keep(await client.cliSocket(token(name), { sessionId: sid })),
          machine: keep(await client.cliSocket(token(name), { machineId: mid })),
          sse,
        };
        await untilActive(name, sid);
      }
      for (const name of people) {
        for (let i = 0; i < 3; i++) {
          const localId = `${name}-${i}-${run}`;
          const r = await postMessage(name, state[name].sid, localId);
          expect(r.status, r.text).to.equal(200);
          await state[name].session.waitEvent('update', newMessage(localId));
        }
      }
      const { alice, bob } = state;
      const bobJwt = await webToken('bob');
      expect((await client.request('GET', `/api/sessions/${alice.sid}`, { token: bobJwt })).json).to.deep.equal({ error: 'Session access denied' });
      expect((await client.request('POST', `/api/sessions/${alice.sid}/messages`, { token: bobJwt, body: { text: 'x' } })).status).to.equal(403);
      expect((await client.request('GET', `/cli/sessions/${alice.sid}/messages?afterSeq=0`, { token: token('bob') })).status).to.equal(403);
      expect((await client.request('GET', `/cli/machines/${alice.mid}`, { token: token('bob') })).json).to.deep.equal({ error: 'Machine access denied' });
      const bobList = await client.request('GET', '/api/sessions', { token: bobJwt });
      expect(bobList.json.sessions.map((x: { id: string }) => x.id)).to.include(bob.sid).and.not.include(alice.sid);
      const bobMachines = await client.request('GET', '/api/machines', { token: bobJwt });
      expect(JSON.stringify(bobMachines.json)).to.not.include(alice.mid);
      // bob's socket naming alice's session is refused and hears nothing of it.
      const intruder = keep(await client.cliSocket(token('bob'), { sessionId: alice.sid }));
      const denied = await intruder.waitEvent('error');
      expect(denied).to.include({ code: 'access-denied', scope: 'session' });
      const probe = `alice-after-${run}`;
      expect((await postMessage('alice', alice.sid, probe)).status).to.equal(200);
      await alice.session.waitEvent('update', newMessage(probe));
      await waitFor(() => alice.sse.frames.some((f) => JSON.stringify(f).includes(probe)), { timeoutMs: 10_000, what: "alice's SSE event" });
      for (const [who, seen] of [
        ['bob session socket', bob.session.received],
        ['bob machine socket', bob.machine.received],
        ['bob intruding socket', intruder.received.filter((r) => r.event !== 'error')],
        ['bob SSE', bob.sse.frames],
      ] as const) {
        const text = JSON.stringify(seen);
        for (const foreign of [alice.sid, alice.mid, 'alice-']) expect(text.includes(foreign), `${who} saw ${foreign}`).to.equal(false);
      }
      for (const x of people) state[x].sse.close();
      report.add('isolation', 'alice and bob: sessions, machines, 4 messages and 3 sockets each plus SSE; 0 crossed (REST 403s, socket access-denied)');
    });
  });

  describe('scaling: session=3, gateway=2', () => {
    it('when clients send requests through Caddy, then they spread over both gateways and every session replica serves calls', async function () {
      this.timeout(120_000);
      const gwBefore = await countPerReplica(s(), 'gateway', servedRequest());
      const sessBefore = await countPerReplica(s(), 'session', servedCall);
      const jwt = await webToken('dave');
      const sid = await createSession('dave');
      // A web message needs a live CLI, as in HAPI.
      keep(await client.cliSocket(token('dave'), { sessionId: sid }));
      await untilActive('dave', sid);
      const total = 60;
      for (let i = 0; i < total; i++) {
        const r = i % 3 === 0 ? await postMessage('dave', sid, `spread-${i}`) : await client.request('GET', i % 3 === 1 ? `/api/sessions/${sid}` : `/cli/sessions/${sid}`, { token: i % 3 === 1 ? jwt : token('dave') });
        expect(r.status, r.text).to.equal(200);
      }
      const gw = delta(gwBefore, await countPerReplica(s(), 'gateway', servedRequest()));
      const sess = delta(sessBefore, await countPerReplica(s(), 'session', servedCall));
      report.add('spread', `${total + 3} requests through Caddy, per gateway: ${format(gw)}`);
      report.add('spread', `session calls per replica: ${format(sess)}`);
      expect(gw.size).to.equal(SCALE.gateway);
      for (const [name, n] of gw) expect(n, `${name} served none`).to.be.greaterThan(0);
      expect([...gw.values()].reduce((a, b) => a + b, 0)).to.be.at.least(total);
      expect(sess.size).to.equal(SCALE.session);
      for (const [name, n] of sess) expect(n, `${name} served no call`).to.be.greaterThan(0);
    });

    it('when CLI sockets connect through Caddy, then both gateways hold some, and a socket on one receives a web message posted through the other', async function () {
      this.timeout(120_000);
      const holders = new Map<string, { sock: CliSocket; sid: string }[]>();
      let opened = 0;
      // Caddy picks a replica per connection; open sockets until each gateway holds one (bounded).
      while ((holders.size < SCALE.gateway || opened < 4) && opened < 24) {
        const sid = await createSession('erin');
        const sock = keep(await client.cliSocket(token('erin'), { sessionId: sid }));
        opened += 1;
        const gw = await waitFor(() => gatewayOfSocket(s(), sock.socket.id!), { timeoutMs: 10_000, intervalMs: 200, what: 'the gateway that logged the socket' });
        holders.set(gw, [...(holders.get(gw) ?? []), { sock, sid }]);
      }
      report.add('spread', `${opened} CLI sockets, per gateway: ${[...holders].map(([g, l]) => `${g} ${l.length}`).join(', ')}`);
      expect(holders.size, 'gateways holding sockets').to.equal(SCALE.gateway);

      const [socketGateway, held] = [...holders][0]!;
      const { sock, sid } = held[0]!;
      const otherGateway = [...holders.keys()].find((g) => g !== socketGateway)!;
      await untilActive('erin', sid);
      // Post until Caddy sends one through the other gateway (each post is delivered regardless).
      let crossed: string | null = null;
      for (let i = 0; i < 30 && !crossed; i++) {
        const localId = `cross-${i}-${run}`;
        const before = await countPerReplica(s(), 'gateway', servedRequest(`/api/sessions/${sid}/messages`));
        expect((await postMessage('erin', sid, localId)).status).to.equal(200);
        const d = delta(before, await countPerReplica(s(), 'gateway', servedRequest(`/api/sessions/${sid}/messages`)));
        await sock.waitEvent('update', newMessage(localId));
        if ((d.get(otherGateway) ?? 0) > 0) crossed = localId;
      }
      expect(crossed, `no post went through ${otherGateway}`).to.not.equal(null);
      report.add('spread', `a web message posted through ${otherGateway} reached the CLI socket on ${socketGateway}`);
    });
  });

  describe('faults under a steady load', () => {
    let load: SteadyLoad;
    let loadSocket: CliSocket;
    let loadSid = '';

    before(async function () {
      this.timeout(60_000);
      loadSid = await createSession('carol');
      loadSocket = keep(await client.cliSocket(token('carol'), { sessionId: loadSid }, { reconnect: true }));
      await untilActive('carol', loadSid);
      load = new SteadyLoad(client, { cliToken: token('carol'), webToken: await webToken('carol'), sessionId: loadSid });
      load.start();
      await waitFor(() => load.ackedMessages.size >= 20, { timeoutMs: 30_000, what: '20 acknowledged writes before any fault' });
    });

    /** What the load's clients saw go wrong since `before` (each such attempt was tried again). */
    const failedSince = (before: LoadTotals) => {
      const now = load.totals();
      const kinds = Object.entries(now.failures)
        .map(([k, n]) => [k, n - (before.failures[k] ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n}× ${k}`);
      return `${now.failedAttempts - before.failedAttempts} failed attempts${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
    };
    /** Waits until the engine has restarted the container and its healthcheck passes again. */
    const backHealthy = async (c: StackContainer, restartCount: number, since: number) => {
      await waitFor(async () => {
        const info = await s().inspect(c.name);
        return Number(info.RestartCount) > restartCount && info.State.Running && healthOf(info) === 'healthy';
      }, { timeoutMs: 90_000, intervalMs: 250, what: `${c.name} restarted by its restart policy and healthy` });
      return secondsSince(since);
    };
    /** A web message acknowledged now reaches the load's CLI socket (wherever it reconnected). */
    const deliveredNow = async (what: string) => {
      const localId = `probe-${what}-${run}`;
      const r = await postMessage('carol', loadSid, localId);
      expect(r.status, `${what}: ${r.text}`).to.equal(200);
      await loadSocket.waitEvent('update', newMessage(localId), 20_000);
    };

    it('when one session replica crashes (SIGKILL), then the restart policy brings it back and clients carry on', async function () {
      this.timeout(180_000);
      const victim = (await s().containers('session'))[1]!;
      const ackedBefore = load.ackedMessages.size;
      const totalsBefore = load.totals();
      const at = Date.now();
      const { restartCount } = await crashServiceProcess(s(), victim);
      const back = await backHealthy(victim, restartCount, at);
      await waitFor(() => load.ackedMessages.size >= ackedBefore + 20, { timeoutMs: 30_000, what: 'writes acknowledged after the crash' });
      await deliveredNow('session-crash');
      report.add('faults', `SIGKILL of ${victim.name}'s service: restarted by its restart policy and healthy after ${back} s; meanwhile ${failedSince(totalsBefore)}`);
    });

    it('when the gateway holding the CLI socket crashes (SIGKILL), then it is restarted, the socket reconnects through Caddy and clients carry on', async function () {
      this.timeout(180_000);
      const holder = await waitFor(() => gatewayOfSocket(s(), loadSocket.socket.id!), { timeoutMs: 10_000, what: "the load socket's gateway" });
      const victim = (await s().containers('gateway')).find((c) => c.name === holder)!;
      const ackedBefore = load.ackedMessages.size;
      const totalsBefore = load.totals();
      const oldId = loadSocket.socket.id;
      const at = Date.now();
      const { restartCount } = await crashServiceProcess(s(), victim);
      await waitFor(() => loadSocket.socket.connected && loadSocket.socket.id !== oldId, { timeoutMs: 30_000, what: 'the CLI socket reconnected' });
      const reconnected = secondsSince(at);
      const back = await backHealthy(victim, restartCount, at);
      await waitFor(() => load.ackedMessages.size >= ackedBefore + 20, { timeoutMs: 30_000, what: 'writes acknowledged after the crash' });
      await deliveredNow('gateway-crash');
      report.add('faults', `SIGKILL of ${victim.name}'s service (it held the CLI socket): socket reconnected after ${reconnected} s, gateway restarted and healthy after ${back} s; meanwhile ${failedSince(totalsBefore)}`);
    });

    it("when the NATS node leading the load's event stream is stopped, then the other two carry on and it rejoins when started", async function () {
      this.timeout(180_000);
      const leader = await eventsStreamLeader();
      expect(leader, "the leader of carol's event stream").to.match(/^nats-[123]$/);
      const ackedBefore = load.ackedMessages.size;
      const totalsBefore = load.totals();
      const at = Date.now();
      await s().mustCompose(['stop', '--timeout', '1', leader], 60_000);
      await waitFor(async () => (await eventsStreamLeader()) !== leader, { timeoutMs: 30_000, intervalMs: 500, what: "a new leader of carol's event stream" });
      const newLeaderAfter = secondsSince(at);
      await waitFor(() => load.ackedMessages.size >= ackedBefore + 20, { timeoutMs: 30_000, what: 'writes acknowledged with one NATS node down' });
      await deliveredNow('nats-down');
      const downFor = secondsSince(at);
      await s().mustCompose(['start', leader], 60_000);
      const node = (await s().containers(leader))[0]!;
      await waitFor(async () => healthOf(await s().inspect(node.name)) === 'healthy', { timeoutMs: 60_000, intervalMs: 250, what: `${leader} healthy again (back in the cluster)` });
      await deliveredNow('nats-back');
      report.add('faults', `docker-compose stop ${leader} (leader of carol's event stream): new leader after ${newLeaderAfter} s, writes and socket delivery went on with 2 of 3 nodes for ${downFor} s; started again, healthy after ${secondsSince(at)} s; meanwhile ${failedSince(totalsBefore)}`);
    });

    it('when the load stops, then every acknowledged write is stored exactly once', async function () {
      this.timeout(120_000);
      await load.stop();
      const totals = load.totals();
      const verdict = await load.verify(loadSocket, 1);
      report.add('writes', `acknowledged ${totals.acknowledged} (messages ${verdict.messages.acknowledged}, session creates ${verdict.sessions.acknowledged}); lost ${verdict.messages.lost.length + verdict.sessions.lost.length}; stored twice ${verdict.messages.duplicated.length + verdict.sessions.duplicated}`);
      report.add('writes', `failed attempts (tried again by the client) ${totals.failedAttempts}: ${JSON.stringify(totals.failures)}; unacknowledged when the load stopped ${totals.unacknowledged}`);
      report.add('writes', `acknowledged web messages that reached the CLI socket: ${verdict.messages.deliveredToSocket} of ${verdict.messages.acknowledged} (the rest were sent while it was reconnecting or while NATS elected a leader)`);
      expect(verdict.messages.lost, 'acknowledged messages lost').to.deep.equal([]);
      expect(verdict.sessions.lost, 'acknowledged sessions lost').to.deep.equal([]);
      expect(verdict.messages.duplicated, 'messages stored twice').to.deep.equal([]);
      expect(verdict.sessions.duplicated, 'sessions stored twice').to.equal(0);
      expect(verdict.messages.acknowledged, "the load ran").to.be.greaterThan(50);
    });
  });

  /** The NATS node leading the load's namespace's (carol's) event stream, from a node's monitoring endpoint. */
  async function eventsStreamLeader(): Promise<string> {
    for (const node of ['nats-1', 'nats-2', 'nats-3']) {
      const c = (await s().containers(node))[0];
      if (!c) continue;
      const res = await s().exec(c.name, ['wget', '-q', '-O', '-', 'http://127.0.0.1:8222/jsz?accounts=true&streams=true'], 10_000);
      if (res.code !== 0) continue;
      try {
        const jsz = JSON.parse(res.stdout) as { account_details?: Array<{ stream_detail?: Array<{ name: string; cluster?: { leader?: string } }> }> };
        const leader = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((st) => st.name === CAROL_EVENTS)?.cluster?.leader;
        if (leader) return leader;
      } catch {
        // a node still starting answers something else
      }
    }
    return '';
  }
});

/**
 * Each run claims its compose project with a file holding its pid, so that another run on the
 * same machine (same engine) can tell a live stack from one a killed run left behind.
 */
const claimsDir = (engine: Engine) => path.join(engine.runDir, 'tier-projects');
function claimProject(engine: Engine, project: string): void {
  mkdirSync(claimsDir(engine), { recursive: true });
  writeFileSync(path.join(claimsDir(engine), project), String(process.pid));
}
function releaseProject(engine: Engine, project: string): void {
  rmSync(path.join(claimsDir(engine), project), { force: true });
}
function claimedByLiveRun(engine: Engine, project: string): boolean {
  const file = path.join(claimsDir(engine), project);
  if (!existsSync(file)) return false;
  try {
    process.kill(Number(readFileSync(file, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Stacks killed runs left behind (projects teamhub-test-* that no live run claims), removed with their volumes. */
async function removeLeftoverStacks(engine: Engine): Promise<string[]> {
  const out = await engine.mustPodman(['ps', '--all', '--format', '{{ index .Labels "com.docker.compose.project" }}']);
  const projects = [...new Set(out.split('\n').filter((p) => p.startsWith('teamhub-test-')))].filter((p) => !claimedByLiveRun(engine, p));
  for (const p of projects) {
    // `down` reads the files, so the variables they name need some value.
    const old = new ComposeStack(engine, p, Object.fromEntries(['IMAGE', 'INSTALLED_IMAGE', 'MONGO_IMAGE', 'NATS_IMAGE', 'CADDY_IMAGE'].map((k) => [`TEAMHUB_TEST_${k}`, 'localhost/leftover:none'])));
    await old.compose(['down', '--volumes', '--remove-orphans', '--timeout', '1'], 120_000);
    releaseProject(engine, p);
  }
  if (existsSync(claimsDir(engine))) for (const f of readdirSync(claimsDir(engine))) if (!claimedByLiveRun(engine, f)) releaseProject(engine, f);
  return projects;
}
