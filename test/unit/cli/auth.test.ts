import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authLogin, authLogout, LOGOUT_LINES } from '../../../cli/commands/auth.js';
import { readSettings, writeSettings } from '../../../cli/settings.js';

/** Runs `fn` with HAPI_HOME (and no CLI env) set, capturing console.log. */
async function withHome(home: string, fn: () => unknown): Promise<string[]> {
  const saved = { HAPI_HOME: process.env.HAPI_HOME, CLI_API_TOKEN: process.env.CLI_API_TOKEN };
  const log = console.log;
  const lines: string[] = [];
  process.env.HAPI_HOME = home;
  delete process.env.CLI_API_TOKEN;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await fn();
  } finally {
    console.log = log;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return lines;
}

describe('cli auth', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-cli-auth-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when logging out, then both the token and the machine id are removed and other keys stay', async () => {
    writeSettings(dir, { cliApiToken: 'base:alice', machineId: 'm-1', apiUrl: 'http://127.0.0.1:1' });
    const out = await withHome(dir, authLogout);
    expect(readSettings(dir)).to.deep.equal({ apiUrl: 'http://127.0.0.1:1' });
    expect(out.join('\n')).to.equal(
      'Cleared local credentials (token and machineId).\nNote: If CLI_API_TOKEN is set via environment variable, it will still be used.',
    );
    expect(LOGOUT_LINES).to.have.length(2);
  });

  it('when logging in with --token and --url, then both are saved', async () => {
    await withHome(dir, () => authLogin({ token: ' base:bob ', url: 'http://127.0.0.1:9/' }));
    expect(readSettings(dir)).to.deep.equal({ cliApiToken: 'base:bob', apiUrl: 'http://127.0.0.1:9' });
  });

  it('when the URL is not http(s), then login refuses it and saves nothing', async () => {
    let err: unknown;
    await withHome(dir, () => authLogin({ token: 'base:bob', url: 'ftp://x' }).catch((e: unknown) => (err = e)));
    expect(String(err)).to.match(/--url must start with http/);
    expect(readSettings(dir)).to.deep.equal({});
  });
});
