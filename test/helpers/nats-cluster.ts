import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports.js';
import { startProcess, type Started } from './processes.js';

export interface ClusterNode {
  name: string;
  clientPort: number;
  proc: Started | null;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  /** Client URLs of every node, as TEAMHUB_NATS_URL lists them. */
  servers(): string[];
  /** SIGKILLs one node (it stays down). */
  kill(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Three real nats-servers on loopback forming one JetStream cluster (Debian's nats-server), with
 * authenticated routes and, when `password` is given, a client user `teamhub` with that password,
 * as docker-compose.yml runs them.
 */
export async function startNatsCluster(opts: { password?: string } = {}): Promise<NatsCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-nats-cluster-'));
  const routePassword = randomBytes(12).toString('hex');
  const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), route: await freePort() })));
  const routes = ports.map((p) => `"nats-route://route:${routePassword}@127.0.0.1:${p.route}"`).join(', ');
  const nodes = await Promise.all(
    ports.map(async (p, i): Promise<ClusterNode> => {
      const name = `n${i + 1}`;
      const conf = path.join(dir, `${name}.conf`);
      writeFileSync(
        conf,
        [
          `server_name: ${name}`,
          `listen: 127.0.0.1:${p.client}`,
          `jetstream { store_dir: "${path.join(dir, name)}" }`,
          opts.password ? `authorization { user: teamhub, password: "${opts.password}" }` : '',
          `cluster { name: test, listen: 127.0.0.1:${p.route}, authorization { user: route, password: "${routePassword}" }, routes: [${routes}] }`,
        ].join('\n'),
      );
      const proc = await startProcess('nats-server', ['-c', conf], { ready: /Server is ready/, name });
      return { name, clientPort: p.client, proc };
    }),
  );
  return {
    nodes,
    servers: () => nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`),
    kill: async (name) => {
      const node = nodes.find((n) => n.name === name);
      await node?.proc?.stop('SIGKILL');
      if (node) node.proc = null;
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.proc?.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
