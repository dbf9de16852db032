import path from 'node:path';
import { mustRun, REPO_ROOT, runCommand, type CommandResult } from './commands.js';

const ENGINE_SH = path.join(REPO_ROOT, 'scripts', 'containers', 'engine.sh');

/**
 * The container engine the tier drives: podman's Docker-compatible API service started by
 * scripts/containers/engine.sh (the same script `make up` uses when no Docker engine answers),
 * with its private image store. `env` is what podman and docker-compose need to reach it.
 */
export class Engine {
  private constructor(readonly env: NodeJS.ProcessEnv) {}

  /** Starts the API service; fails with the script's own explanation when it cannot. */
  static async start(): Promise<Engine> {
    const started = await runCommand('bash', [ENGINE_SH, 'start'], { timeoutMs: 60_000 });
    if (started.code !== 0) {
      throw new Error(`the container engine did not start (scripts/containers/engine.sh start, exit ${started.code ?? 'timeout'}):\n${`${started.stderr}\n${started.stdout}`.trim()}`);
    }
    const vars = await mustRun('bash', [ENGINE_SH, 'env']);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const line of vars.split('\n')) {
      const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
    }
    if (!env.DOCKER_HOST?.startsWith('unix://')) throw new Error(`engine.sh env gave no DOCKER_HOST:\n${vars}`);
    return new Engine(env);
  }

  /** engine.sh's per-run directory (dropped when the engine stops). */
  get runDir(): string {
    return path.join(path.dirname(this.env.CONTAINERS_CONF!), 'run');
  }

  podman(args: string[], timeoutMs = 60_000): Promise<CommandResult> {
    return runCommand('podman', args, { env: this.env, timeoutMs });
  }

  mustPodman(args: string[], timeoutMs = 60_000): Promise<string> {
    return mustRun('podman', args, { env: this.env, timeoutMs });
  }

  /** Stops the service and puts back what podman changed on the host; returns what it said. */
  async stop(): Promise<string> {
    const res = await runCommand('bash', [ENGINE_SH, 'stop'], { timeoutMs: 60_000 });
    return `${res.stderr}${res.stdout}`.trim() + (res.code === 0 ? '' : ` (exit ${res.code ?? 'timeout'})`);
  }
}
