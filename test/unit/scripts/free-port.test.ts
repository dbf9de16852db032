import { readFileSync } from 'node:fs';
import net from 'node:net';
import { expect } from 'chai';
import { freeLoopbackPort } from '../../../scripts/local-hub.js';

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

});
