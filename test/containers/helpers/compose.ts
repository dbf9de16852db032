import path from 'node:path';
import { mustRun, REPO_ROOT, runCommand, type CommandResult } from './commands.js';
import type { Engine } from './engine.js';

export const STANDINS_FILE = path.join(REPO_ROOT, 'test', 'containers', 'compose.standins.yml');

export interface StackContainer {
  id: string;
  name: string;
  service: string;
  /** podman's state: running, exited, ... */
  state: string;
}

interface PodmanPsEntry {
  Id: string;
  Names: string[];
  State: string;
  Labels?: Record<string, string>;
}

/**
 * One compose project: the repository's docker-compose.yml plus the tier's stand-ins override,
 * driven with docker-compose against the engine's socket. `env` carries the variables the two
 * files read (published ports, image names).
 */
export class ComposeStack {
  constructor(
    readonly engine: Engine,
    readonly project: string,
    private readonly vars: Record<string, string>,
  ) {}

  private get env(): NodeJS.ProcessEnv {
    return { ...this.engine.env, ...this.vars, COMPOSE_PROJECT_NAME: this.project };
  }

  compose(args: string[], timeoutMs = 300_000): Promise<CommandResult> {
    return runCommand('docker-compose', ['-p', this.project, '-f', path.join(REPO_ROOT, 'docker-compose.yml'), '-f', STANDINS_FILE, ...args], { env: this.env, timeoutMs });
  }

  async mustCompose(args: string[], timeoutMs = 300_000): Promise<string> {
    return mustRun('docker-compose', ['-p', this.project, '-f', path.join(REPO_ROOT, 'docker-compose.yml'), '-f', STANDINS_FILE, ...args], { env: this.env, timeoutMs });
  }

  /** The project's containers (optionally of one service), in name order. */
  async containers(service?: string, all = false): Promise<StackContainer[]> {
    const args = ['ps', '--format', 'json', '--filter', `label=com.docker.compose.project=${this.project}`];
    if (service) args.push('--filter', `label=com.docker.compose.service=${service}`);
    if (all) args.push('--all');
    const out = await this.engine.mustPodman(args);
    const list = (JSON.parse(out || '[]') as PodmanPsEntry[]).map((c) => ({
      id: c.Id,
      name: c.Names[0] ?? c.Id,
      service: c.Labels?.['com.docker.compose.service'] ?? '',
      state: c.State,
    }));
    return list.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  /** Everything a container printed (stdout and stderr) since it was created. */
  async logs(name: string): Promise<string> {
    const res = await this.engine.podman(['logs', name], 60_000);
    return `${res.stdout}${res.stderr}`;
  }

  async inspect(name: string): Promise<any> {
    return (JSON.parse(await this.engine.mustPodman(['inspect', name])) as any[])[0];
  }

  exec(name: string, cmd: string[], timeoutMs = 30_000): Promise<CommandResult> {
    return this.engine.podman(['exec', name, ...cmd], timeoutMs);
  }
}
