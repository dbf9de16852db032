import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_API_URL,
  ensureMachineId,
  hapiHome,
  readSettings,
  resolveClientConfig,
  settingsPath,
  updateSettings,
  writeSettings,
} from '../../../cli/settings.js';

describe('cli settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-cli-settings-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when HAPI_HOME is unset or starts with ~, then it resolves under the home directory', () => {
    expect(hapiHome({})).to.equal(path.join(os.homedir(), '.hapi'));
    expect(hapiHome({ HAPI_HOME: '~/.hapi-alice' })).to.equal(path.join(os.homedir(), '.hapi-alice'));
    expect(hapiHome({ HAPI_HOME: dir })).to.equal(dir);
  });

  it('when the file is missing, then settings are empty', () => {
    expect(readSettings(path.join(dir, 'nope'))).to.deep.equal({});
  });

  it('when settings are written, then the file is 0600, the new dir 0700, and no temp file is left', () => {
    const home = path.join(dir, 'home');
    writeSettings(home, { cliApiToken: 'base:alice' });
    expect(fs.statSync(settingsPath(home)).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(home).mode & 0o777).to.equal(0o700);
    expect(fs.readdirSync(home)).to.deep.equal(['settings.json']);
    expect(readSettings(home)).to.deep.equal({ cliApiToken: 'base:alice' });
  });

  it('when one key is updated, then unknown keys are kept', () => {
    writeSettings(dir, { machineId: 'm1', extraHeaders: { a: 'b' }, runnerAutoStartWhenRunningHappy: true });
    updateSettings(dir, (s) => {
      s.cliApiToken = 'base:bob';
    });
    expect(readSettings(dir)).to.deep.equal({
      machineId: 'm1',
      extraHeaders: { a: 'b' },
      runnerAutoStartWhenRunningHappy: true,
      cliApiToken: 'base:bob',
    });
  });

  it('when an existing file is replaced, then it is swapped by rename (a reader never sees a partial file)', () => {
    writeSettings(dir, { cliApiToken: 'old' });
    const before = fs.statSync(settingsPath(dir)).ino;
    writeSettings(dir, { cliApiToken: 'new' });
    expect(fs.statSync(settingsPath(dir)).ino).to.not.equal(before);
    expect(fs.statSync(settingsPath(dir)).mode & 0o777).to.equal(0o600);
  });

  it('when the file is not JSON, then reading fails with a clear message', () => {
    fs.writeFileSync(settingsPath(dir), '{nope');
    expect(() => readSettings(dir)).to.throw(/not valid JSON/);
  });

  it('when no machine id exists, then one UUID is generated once and persisted', () => {
    const id = ensureMachineId(dir);
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    expect(ensureMachineId(dir)).to.equal(id);
    expect(readSettings(dir).machineId).to.equal(id);
  });

  it('when both env and settings carry a token or URL, then env wins; else settings; else the default URL', () => {
    writeSettings(dir, { cliApiToken: 'base:alice', apiUrl: 'http://h:1/' });
    const fromFile = resolveClientConfig({ HAPI_HOME: dir });
    expect(fromFile).to.include({ token: 'base:alice', tokenSource: 'settings file', apiUrl: 'http://h:1' });
    const fromEnv = resolveClientConfig({ HAPI_HOME: dir, CLI_API_TOKEN: 'base:bob', HAPI_API_URL: 'http://e:2' });
    expect(fromEnv).to.include({ token: 'base:bob', tokenSource: 'environment', apiUrl: 'http://e:2' });
    const none = resolveClientConfig({ HAPI_HOME: path.join(dir, 'empty') });
    expect(none).to.include({ token: null, tokenSource: 'none', apiUrl: DEFAULT_API_URL });
  });
});
