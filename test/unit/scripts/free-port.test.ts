import { readFileSync } from 'node:fs';
import net from 'node:net';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freeLoopbackPort, REPO_ROOT } from '../../../scripts/local-hub.js';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });

describe('scripts/local-hub freeLoopbackPort: ports a restarted service can bind again', () => {
  it('when ports are picked, then they lie below the kernel\'s ephemeral range (outgoing connections never take them) and can be bound', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freeLoopbackPort()));
    for (const port of ports) {
      expect(port).to.be.within(10_000, ephemeralStart - 1);
      const srv = await listen(port);
      await new Promise((r) => srv.close(r));
    }
  });

  /** Picks 20 ports in a fresh process (the range is read once per process) with this TEAMHUB_LOOPBACK_PORTS. */
  function pickWith(range: string): { ports: number[]; error: string } {
    const mod = pathToFileURL(path.join(REPO_ROOT, 'scripts', 'local-hub.ts')).href;
    const code = `const { freeLoopbackPort } = await import(${JSON.stringify(mod)});
      try { const ports = []; for (let i = 0; i < 20; i++) ports.push(await freeLoopbackPort()); console.log(JSON.stringify(ports)); }
      catch (err) { console.log(JSON.stringify({ error: err.message })); }`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, env: { ...process.env, TEAMHUB_LOOPBACK_PORTS: range }, encoding: 'utf8', timeout: 30_000 });
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1) ?? 'null');
    return Array.isArray(out) ? { ports: out, error: '' } : { ports: [], error: out?.error ?? res.stderr };
  }

  it('when TEAMHUB_LOOPBACK_PORTS gives a range, then every port is picked from it (two test shards never meet)', () => {
    const { ports, error } = pickWith('23000-23199');
    expect(error).to.equal('');
    expect(ports).to.have.length(20);
    for (const port of ports) expect(port).to.be.within(23_000, 23_199);
  });

  it('when TEAMHUB_LOOPBACK_PORTS is not a range of at least 100 ports within 1024-65535, then picking fails saying what it must be', () => {
    for (const bad of ['20000', '20000-20050', '80-2000', '30000-70000', 'a-b']) {
      expect(pickWith(bad).error, bad).to.equal(`TEAMHUB_LOOPBACK_PORTS must be <low>-<high> with at least 100 ports within 1024-65535 (e.g. 20000-20999), got ${JSON.stringify(bad)}`);
    }
  });
});
