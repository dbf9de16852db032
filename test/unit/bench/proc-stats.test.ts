import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { CLOCK_TICKS, parseStat, processName, sampleTrees } from '../../../bench/proc/proc-stats.js';
import { TreeMeter, type TreeSnapshot } from '../../../bench/proc/tree-meter.js';

describe('bench /proc figures', () => {
  it('when a stat line has spaces and parentheses in the command name, then ppid and utime+stime are still read', () => {
    const fields = ['S', '42', '1', '1', '0', '-1', '4194304', '100', '0', '0', '0', '250', '50', '0', '0'];
    expect(parseStat(`1234 (node (x) y) ${fields.join(' ')}`)).to.deep.equal({ ppid: 42, ticks: 300 });
  });

  it('when a command line is one of the hubs\' processes, then it gets that process\'s name', () => {
    expect(processName(['/usr/bin/node', '--import', 'tsx', '/srv/teamhub/gateway/main.ts'])).to.equal('gateway');
    expect(processName(['/usr/bin/node', '--import', 'tsx', '/srv/teamhub/services/session/main.ts'])).to.equal('session');
    expect(processName(['/usr/bin/node', '--import', 'tsx', '/srv/teamhub/scripts/run-local.ts'])).to.equal('launcher');
    expect(processName(['/usr/bin/node', '/srv/teamhub/dist/gateway/main.js'])).to.equal('gateway');
    expect(processName(['/usr/bin/node', '/srv/teamhub/dist/services/machine/main.js'])).to.equal('machine');
    expect(processName(['/usr/bin/node', '/srv/teamhub/dist/scripts/run-local.js'])).to.equal('launcher');
    expect(processName(['/usr/bin/node', '/srv/teamhub/dist/scripts/services-process.js'])).to.equal('services');
    expect(processName(['nats-server', '-a', '127.0.0.1'])).to.equal('nats-server');
    expect(processName(['/srv/node_modules/@esbuild/linux-x64/bin/esbuild', '--service=0.28.2'])).to.equal('esbuild');
    expect(processName(['/srv/node_modules/@twsxtd/hapi-linux-x64/bin/hapi', 'hub'])).to.equal('hapi');
  });

  it('when a process has a child, then its tree holds both, and an ended root holds nothing', async () => {
    const parent = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      let tree = sampleTrees([parent.pid!]);
      for (let i = 0; i < 50 && tree.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        tree = sampleTrees([parent.pid!]);
      }
      expect(tree.map((p) => p.name)).to.deep.equal(['sh', 'sleep']);
      expect(tree.find((p) => p.name === 'sleep')!.ppid).to.equal(parent.pid);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((r) => parent.once('exit', r));
    expect(sampleTrees([parent.pid!]).filter((p) => p.pid === parent.pid)).to.have.length(0);
  });

  it('when CPU is taken between two snapshots, then a process that started in between counts from zero', () => {
    const a: TreeSnapshot = { atMs: 0, procs: [{ pid: 1, ppid: 0, name: 'gateway', ticks: 100, rssKiB: 0 }] };
    const b: TreeSnapshot = {
      atMs: 2000,
      procs: [
        { pid: 1, ppid: 0, name: 'gateway', ticks: 100 + CLOCK_TICKS, rssKiB: 0 },
        { pid: 2, ppid: 0, name: 'gateway', ticks: CLOCK_TICKS / 2, rssKiB: 0 },
      ],
    };
    const w = TreeMeter.cpuBetween(a, b);
    expect(w.seconds).to.equal(2);
    expect(w.processes).to.deep.equal([
      { name: 'gateway', pid: 1, cpuPct: 50 },
      { name: 'gateway#2', pid: 2, cpuPct: 25 },
    ]);
    expect(w.cpuPct).to.equal(75);
  });
});
