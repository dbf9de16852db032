import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireLock, lockHolder, lockPath, releaseLock } from '../../../cli/runner/lock.js';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('cli runner lock', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'th-cli-lock-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('when the lock is free, then it is taken and holds the pid', () => {
    expect(acquireLock(home)).to.deep.equal({ ok: true });
    expect(fs.readFileSync(lockPath(home), 'utf8').trim()).to.equal(String(process.pid));
    expect(lockHolder(home)).to.equal(process.pid);
  });

  it('when a live process holds the lock, then a second runner is refused with its pid', () => {
    expect(acquireLock(home, process.ppid)).to.deep.equal({ ok: true });
    expect(acquireLock(home, process.pid)).to.deep.equal({ ok: false, holderPid: process.ppid });
  });

  it('when the lock was left by a dead pid, then it is taken over', () => {
    fs.writeFileSync(lockPath(home), `${deadPid()}\n`);
    expect(lockHolder(home)).to.equal(null);
    expect(acquireLock(home)).to.deep.equal({ ok: true });
    expect(lockHolder(home)).to.equal(process.pid);
  });

  it('when the lock file is garbage, then it counts as stale', () => {
    fs.writeFileSync(lockPath(home), 'not a pid');
    expect(acquireLock(home)).to.deep.equal({ ok: true });
  });

  it('when another pid releases, then the holder keeps the lock; the holder itself removes it', () => {
    acquireLock(home);
    releaseLock(home, process.ppid);
    expect(fs.existsSync(lockPath(home))).to.equal(true);
    releaseLock(home);
    expect(fs.existsSync(lockPath(home))).to.equal(false);
  });
});
