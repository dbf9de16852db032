import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The real HAPI hub (npm @twsxtd/hapi, a devDependency) on a loopback port, for side-by-side runs. */
export interface ReferenceHub {
  url: string;
  proc: ChildProcess;
  stop: () => Promise<void>;
}

function hapiBinary(): string {
  return path.join(path.dirname(require.resolve('@twsxtd/hapi-linux-x64/package.json')), 'bin', 'hapi');
}

export async function startReferenceHub(opts: { home: string; port: number; token: string }): Promise<ReferenceHub> {
  const proc = spawn(hapiBinary(), ['hub'], {
    env: { ...process.env, HAPI_HOME: opts.home, CLI_API_TOKEN: opts.token, HAPI_LISTEN_HOST: '127.0.0.1', HAPI_LISTEN_PORT: String(opts.port) },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`reference hub exited with ${proc.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('reference hub not healthy after 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}
