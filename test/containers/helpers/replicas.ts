import { readFileSync } from 'node:fs';
import type { ComposeStack, StackContainer } from './compose.js';

/** One pino JSON line of a container's log (other lines are skipped). */
export type LogEntry = Record<string, any>;

function entries(log: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // a line cut short; not ours to count
    }
  }
  return out;
}

/** Per container of `service`, how many of its log lines match. */
export async function countPerReplica(stack: ComposeStack, service: string, match: (e: LogEntry) => boolean): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of await stack.containers(service)) counts.set(c.name, entries(await stack.logs(c.name)).filter(match).length);
  return counts;
}

/** The difference `after - before` per replica (replicas that appeared count from 0). */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, n] of after) out.set(name, n - (before.get(name) ?? 0));
  return out;
}

export const format = (m: Map<string, number>) => [...m].map(([name, n]) => `${name} ${n}`).join(', ');

/** A request that came through Caddy (the container's own healthcheck calls from 127.0.0.1). */
export const servedRequest = (urlPrefix = '/') => (e: LogEntry) => e.msg === 'incoming request' && e.req?.remoteAddress !== '127.0.0.1' && String(e.req?.url ?? '').startsWith(urlPrefix);

/** A gRPC call answered by a service replica (logged at debug level; see compose.standins.yml). */
export const servedCall = (e: LogEntry) => e.msg === 'call served' || e.msg === 'call answered with an error';

/** Which gateway replica holds the socket with this id. */
export async function gatewayOfSocket(stack: ComposeStack, socketId: string): Promise<string | null> {
  for (const c of await stack.containers('gateway')) {
    if (entries(await stack.logs(c.name)).some((e) => e.msg === 'cli socket connected' && e.socket === socketId)) return c.name;
  }
  return null;
}

/**
 * Kills a container's service process with SIGKILL from the host, as a crash or the kernel's
 * OOM killer would: the process dies, not the container by the engine's hand, so the engine's
 * restart policy applies (an engine `kill` counts as a manual stop on Docker and on podman, and
 * the policy leaves such a container down). With `init: true` the service is the init's child.
 */
export async function crashServiceProcess(stack: ComposeStack, container: StackContainer): Promise<{ pid: number; restartCount: number }> {
  const info = await stack.inspect(container.name);
  const initPid = Number(info.State.Pid);
  if (!initPid) throw new Error(`${container.name} has no running process`);
  const comm = readFileSync(`/proc/${initPid}/comm`, 'utf8').trim();
  let pid = initPid;
  if (comm === 'catatonit' || comm === 'podman-init' || comm === 'tini' || comm === 'docker-init') {
    const children = readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    if (children.length !== 1) throw new Error(`${container.name}: expected one process under its init, found ${children.length}`);
    pid = Number(children[0]);
  }
  process.kill(pid, 'SIGKILL');
  return { pid, restartCount: Number(info.RestartCount ?? 0) };
}

/** Health status as the engine records it ("healthy", "starting", "unhealthy"), or "" without one. */
export function healthOf(info: any): string {
  return String(info?.State?.Health?.Status ?? info?.State?.Healthcheck?.Status ?? '');
}
