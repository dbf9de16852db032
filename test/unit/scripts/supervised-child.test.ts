import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SupervisedChild, type ChildFailure } from '../../../scripts/supervised-child.js';
import { waitFor } from '../../helpers/ports.js';

/**
 * A tiny child script: counts its runs in a file, prints a secret and its ready line, then does what
 * RUNS says for this run (`ready-then-exit:<code>`, `exit-before-ready`, `never-ready`, `serve`).
 */
const SCRIPT = `
const fs = require('node:fs');
const file = process.env.COUNTER;
const run = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;
fs.writeFileSync(file, String(run));
const plan = (process.env.RUNS.split(',')[run - 1] ?? 'serve');
console.log('run ' + run + ' with ' + process.env.MARK + ' plan ' + plan);
if (plan === 'exit-before-ready') { console.error('cannot start: port taken'); process.exit(3); }
if (plan === 'never-ready') setInterval(() => {}, 1000);
else {
  console.log('TEAMHUB_BASE_TOKEN=very-secret-token');
  console.log('TEAMHUB_READY toy port=' + (40000 + run));
  if (plan.startsWith('ready-then-exit:')) setTimeout(() => { console.log('last words of run ' + run); process.exit(Number(plan.split(':')[1])); }, 50);
  else setInterval(() => {}, 1000);
}
`;

describe('launcher: one supervised child', function () {
  this.timeout(30_000);
  let dir: string;
  let child: SupervisedChild | null = null;
  let printed: string[];
  let notices: string[];
  let gaveUp: ChildFailure[];

  const make = (runs: string[], policy = { limit: 3, windowMs: 60_000, backoffMs: 50, maxBackoffMs: 1000 }, readyTimeoutMs = 5000) => {
    child = new SupervisedChild(
      {
        name: 'toy',
        cmd: process.execPath,
        args: ['-e', SCRIPT],
        env: { PATH: process.env.PATH, COUNTER: path.join(dir, 'runs'), RUNS: runs.join(','), MARK: 'same-env' },
        cwd: dir,
        ready: /^TEAMHUB_READY toy port=(\d+)/,
      },
      { print: (l) => printed.push(l), notice: (l) => notices.push(l), gaveUp: (f) => gaveUp.push(f), policy, readyTimeoutMs },
    );
    child.start();
    return child;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'supervised-child-'));
    printed = [];
    notices = [];
    gaveUp = [];
  });
  afterEach(async () => {
    await child?.stop(2000);
    child = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('when a ready child dies, then it is started again with the same command and environment and reports back', async () => {
    const c = make(['ready-then-exit:7', 'serve']);
    expect((await c.waitReady())[1]).to.equal('40001');
    c.supervise();
    const firstPid = c.pid;
    await waitFor(() => notices.some((n) => n.startsWith('toy is back')), { timeoutMs: 10_000, what: 'toy back' });
    expect(notices[0]).to.match(/^toy stopped unexpectedly \(exit code 7, after [\d.]+ s running\); restart 1 in 0\.1 s \(crash 1 of 3 allowed within 60 s\)$/);
    expect(notices[1]).to.match(/^toy is back \(restart 1, pid \d+, ready in [\d.]+ s\)$/);
    expect(c.pid).to.not.equal(firstPid);
    expect(c.restarts).to.equal(1);
    expect((await c.waitReady())[1]).to.equal('40002');
    expect(printed).to.include('run 2 with same-env plan serve');
    expect(gaveUp).to.deep.equal([]);
  });

  it('when a child prints a secret, then it is captured but neither printed nor kept in its tail', async () => {
    const c = make(['serve']);
    await c.waitReady();
    expect(c.capturedValue('TEAMHUB_BASE_TOKEN')).to.equal('very-secret-token');
    expect(printed.join('\n')).to.not.include('very-secret-token');
    expect(c.tail.join('\n')).to.not.include('very-secret-token');
  });

  it('when it keeps crashing at start after a restart, then it gives up at the limit with the last run’s output in its tail', async () => {
    const c = make(['ready-then-exit:1', 'exit-before-ready', 'exit-before-ready', 'serve']);
    await c.waitReady();
    c.supervise();
    await waitFor(() => gaveUp.length === 1, { timeoutMs: 10_000, what: 'give up' });
    const f = gaveUp[0]!;
    expect(f).to.include({ name: 'toy', code: 3, signal: null, crashes: 3 });
    expect(f.tail.slice(-3), 'the output of the last run').to.include('cannot start: port taken');
    expect(f.tail).to.include('--- restart 2 ---');
    expect(notices.at(-1)).to.match(/that is 3 crashes within 60 s, so it is not restarted again$/);
    // Given up means given up: no fourth run comes.
    await new Promise((r) => setTimeout(r, 300));
    expect(c.isRunning()).to.equal(false);
    expect(printed.some((l) => l.startsWith('run 4'))).to.equal(false);
  });

  it('when a restarted child never reports ready, then it is killed after the ready timeout and counted as a crash', async () => {
    const c = make(['ready-then-exit:1', 'never-ready', 'serve'], undefined, 1000);
    await c.waitReady();
    c.supervise();
    await waitFor(() => notices.some((n) => n.startsWith('toy is back (restart 2')), { timeoutMs: 15_000, what: 'toy back after the hung run' });
    expect(notices).to.satisfy((ns: string[]) => ns.some((n) => /^toy: toy did not report ready within 1 s after restart 1; killing it$/.test(n)));
    expect(notices).to.satisfy((ns: string[]) => ns.some((n) => /^toy stopped unexpectedly \(signal SIGKILL, after [\d.]+ s running\); restart 2 in 0\.1 s \(crash 2 of 3/.test(n)));
  });

  it('when it is stopped while a restart is pending, then it is not started again', async () => {
    const c = make(['ready-then-exit:1', 'serve'], { limit: 3, windowMs: 60_000, backoffMs: 500, maxBackoffMs: 1000 });
    await c.waitReady();
    c.supervise();
    await waitFor(() => notices.length === 1, { timeoutMs: 5000, what: 'crash notice' });
    await c.stop(1000);
    await new Promise((r) => setTimeout(r, 800));
    expect(printed.some((l) => l.startsWith('run 2'))).to.equal(false);
    expect(c.isRunning()).to.equal(false);
  });

  it('when a child is not yet supervised (first start) and dies, then waitReady rejects with its output and nothing restarts it', async () => {
    const c = make(['exit-before-ready', 'serve']);
    const err = await c.waitReady().then(
      () => null,
      (e: unknown) => e as { message: string; failure: ChildFailure },
    );
    expect(err?.message).to.equal('toy exited before it was ready (exit code 3)');
    expect(err?.failure.tail).to.include('cannot start: port taken');
    await new Promise((r) => setTimeout(r, 300));
    expect(notices).to.deep.equal([]);
    expect(printed.some((l) => l.startsWith('run 2'))).to.equal(false);
  });
});
