import { expect } from 'chai';
import { buildRows, renderMarkdown, type TableRow } from '../../../bench/report/table.js';
import type { HubResults } from '../../../bench/run-hub.js';
import type { LatencyStats } from '../../../bench/stats.js';

const lat = (p50ms: number, p99ms = p50ms, perSec = 0): LatencyStats => ({ n: 10, perSec, p50ms, p99ms, maxms: p99ms });
const memory = (rssMiB: number) => ({ rssMiB, pssMiB: rssMiB / 2, processes: [{ name: 'x', pid: 1, rssMiB, pssMiB: rssMiB / 2 }] });
const cpu = (cpuPct: number) => ({ seconds: 10, cpuPct, processes: [] });

function result(kind: 'teamhub' | 'hapi', f: { seq: number; conc: number; rss: number; listP50: number; hbCpu: number; histCpu: [number, number] }): HubResults {
  const load = (cpuPct: number) => ({
    sockets: 500,
    messagesPerSec: 20,
    gateways: 1,
    cpu: cpu(cpuPct),
    memory: memory(f.rss),
    webToCli: { ...lat(5), lost: 0 },
    webSend: lat(2),
    listUnderLoad: { ...lat(f.listP50), returned: 125 },
    generator: { workersCpuPct: 3, benchCpuPct: 1 },
  });
  return {
    kind,
    label: kind,
    startSec: 2,
    idle: { memory: memory(f.rss), cpu: cpu(1) },
    creates: { sequential: lat(2, 4, f.seq), concurrent: { ...lat(3, 9, f.conc), inFlight: 16 } },
    reads: [{ sessions: 300, list: { ...lat(f.listP50), returned: 300 }, get: lat(1) }],
    heartbeat: [{ sockets: 500, gateways: 1, connect: { ok: 500, failed: 0, failedSids: [], ms: 1000 }, loads: [load(f.hbCpu)] }],
    afterWorkload: { memory: memory(f.rss) },
    history: {
      sessions: 500,
      messagesPerSession: 1000,
      seed: { messages: 500_000, ms: 1000, perSec: 500, cpu: cpu(50), cpuMsPerMessage: 0.01 },
      empty: { load: load(f.histCpu[0]), messagesPage: lat(4) },
      full: { load: load(f.histCpu[1]), messagesPage: lat(4) },
    },
    phases: [],
    problems: [],
  };
}

const row = (rows: TableRow[], start: string) => rows.find((r) => r.figure.startsWith(start))!;

describe('bench table', () => {
  const t = result('teamhub', { seq: 300, conc: 900, rss: 400, listP50: 2, hbCpu: 30, histCpu: [10, 13] });
  const h = result('hapi', { seq: 200, conc: 400, rss: 200, listP50: 5, hbCpu: 50, histCpu: [10, 30] });
  const rows = buildRows(t, h);

  it('when teamhub is faster on a higher-is-better figure, then the ratio is teamhub / HAPI and the goal is judged on it', () => {
    expect(row(rows, 'session creates/s, one at a time')).to.include({ teamhub: '300', hapi: '200', ratio: '1.50×', goal: '≥ 1.5× HAPI', met: 'yes' });
    expect(row(rows, 'session creates/s, 16 in flight')).to.include({ ratio: '2.25×', goal: '≥ 3× HAPI', met: 'no' });
  });

  it('when a figure is lower-is-better, then the goal is a bound from above', () => {
    expect(row(rows, 'GET /api/sessions p50, 300 sessions')).to.include({ ratio: '0.40×', goal: '≤ 0.5× HAPI', met: 'yes' });
    expect(row(rows, 'idle RSS')).to.include({ teamhub: '400 MiB', hapi: '200 MiB', ratio: '2.00×', met: 'no' });
    expect(row(rows, 'hub CPU (% of a core), 500 sockets + 20 msg/s')).to.include({ ratio: '0.60×', met: 'no' });
  });

  it('when history grows, then teamhub is judged against its own empty figure, not against HAPI', () => {
    const r = row(rows, 'hub CPU, 500 sockets heartbeating');
    expect(r.teamhub).to.equal('10.0% → 13.0% (1.30×)');
    expect(r.hapi).to.equal('10.0% → 30.0% (3.00×)');
    expect(r).to.include({ goal: 'teamhub ≤ 1.2× its empty figure', met: 'no' });
  });

  it('when only one hub ran, then the other column and the ratio are dashes and no goal is judged', () => {
    const only = buildRows(t, undefined);
    expect(row(only, 'session creates/s, one at a time')).to.include({ teamhub: '300', hapi: '–', ratio: '–', met: '' });
  });

  it('when rendered, then it is one Markdown table with a ratio column', () => {
    const md = renderMarkdown(rows).split('\n');
    expect(md[0]).to.equal('| figure | teamhub | HAPI 0.30.7 | teamhub / HAPI | goal (issue 12) | met |');
    expect(md).to.have.length(rows.length + 2);
  });
});
