import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { analyzeProfiles } from '../../../bench/profile/analyze.js';
import type { HubResults } from '../../../bench/run-hub.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('bench profile analysis', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bench-prof-'));
    mkdirSync(path.join(dir, 'cpu'));
    mkdirSync(path.join(dir, 'heap'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when samples fall in two phases, then each workload gets its own CPU split by category', () => {
    const cf = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '1' });
    const profile = {
      nodes: [
        { id: 1, callFrame: cf('(root)', ''), children: [2, 4, 5] },
        { id: 2, callFrame: cf('emit', 'file:///srv/x/node_modules/socket.io/dist/socket.js'), children: [3] },
        { id: 3, callFrame: cf('writev', 'node:internal/streams/writable') },
        { id: 4, callFrame: cf('insertSession', 'file:///srv/x/node_modules/better-sqlite3/lib/methods/wrappers.js') },
        { id: 5, callFrame: cf('(idle)', '') },
      ],
      startTime: 1_000_000,
      endTime: 1_010_000,
      // at 1.001 s and 1.002 s: socket.io (via Node streams); at 1.006 s: SQLite; then idle
      samples: [3, 2, 4, 5, 5],
      timeDeltas: [1000, 1000, 4000, 1000, 1000],
    };
    writeFileSync(path.join(dir, 'cpu', '4242.cpuprofile'), JSON.stringify(profile));
    const results = {
      kind: 'teamhub',
      phases: [
        { hub: 'teamhub', name: 'heartbeat 500 0 msg/s cpu', startUs: 1_000_000, endUs: 1_005_000 },
        { hub: 'teamhub', name: 'creates sequential', startUs: 1_005_000, endUs: 1_010_000 },
      ],
      profiledProcesses: { 4242: 'gateway' },
    } as unknown as HubResults;
    const md = analyzeProfiles(dir, results);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    const gw = summary.cpu.find((p: { name: string }) => p.name === 'gateway');
    const hb = gw.workloads.find((w: { workload: string }) => w.workload === 'heartbeat 500 sockets + 0 msg/s');
    const cr = gw.workloads.find((w: { workload: string }) => w.workload === 'creates');
    // Each sample lasts until the next one: 1 ms + 4 ms of socket.io, 1 ms of SQLite; idle is left out.
    expect(hb.categories).to.deep.equal([{ name: 'Socket.IO / engine.io / ws', ms: 5 }]);
    expect(cr.categories).to.deep.equal([{ name: 'SQLite (better-sqlite3)', ms: 1 }]);
    expect(readFileSync(md, 'utf8')).to.contain('## heartbeat 500 sockets + 0 msg/s');
  });
  it("when library code runs under the hub's compiled code, then its samples are charged to that project function, not to generated code", () => {
    const cf = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9, columnNumber: 0, scriptId: '1' });
    // Compiled files without a source map beside them keep their own path (dist/...).
    const compiled = (rel: string) => `file://${REPO_ROOT}/dist/${rel}.no-map-here.js`;
    const profile = {
      nodes: [
        { id: 1, callFrame: cf('(root)', ''), children: [2, 5] },
        { id: 2, callFrame: cf('appendMessage', compiled('services/session/domain')), children: [3] },
        { id: 3, callFrame: cf('encode', compiled('lib/gen/teamhub/events/v1/events')), children: [4] },
        { id: 4, callFrame: cf('exec', 'file:///srv/x/node_modules/better-sqlite3/lib/methods/wrappers.js') },
        { id: 5, callFrame: cf('emit', 'file:///srv/x/node_modules/socket.io/dist/socket.js') },
      ],
      startTime: 1_000_000,
      endTime: 1_006_000,
      // Each sample lasts until the next: 2 ms under appendMessage, 2 ms of socket.io on its own.
      samples: [4, 4, 5, 5, 5],
      timeDeltas: [1000, 1000, 1000, 1000, 1000],
    };
    writeFileSync(path.join(dir, 'cpu', '4243.cpuprofile'), JSON.stringify(profile));
    const results = {
      kind: 'teamhub',
      phases: [{ hub: 'teamhub', name: 'creates sequential', startUs: 1_000_000, endUs: 1_005_000 }],
      profiledProcesses: { 4243: 'services' },
    } as unknown as HubResults;
    analyzeProfiles(dir, results);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    const callers = summary.cpu[0].workloads[0].callers as Array<{ name: string; ms: number }>;
    const byName = new Map(callers.map((c) => [c.name.split(' ')[0], c.ms]));
    expect(byName.get('appendMessage')).to.equal(2);
    expect(callers.find((c) => c.name.includes('lib/gen/'))).to.equal(undefined);
    expect(callers.find((c) => c.name.startsWith('(no project frame'))?.ms).to.equal(2);
  });
});
