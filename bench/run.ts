/**
 * `make bench` / `npm run bench [-- --quick]`: teamhub (started exactly as `make run` starts it)
 * and the reference HAPI hub 0.30.7, one after the other on this machine and on loopback only,
 * through the same workloads; prints one table with the `teamhub / HAPI` ratio and the goals of
 * issue 12, and writes every figure as JSON (bench/results/<date>.json, or --out).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoadGenerator } from './load/generator.js';
import { parseOptions, UsageError, type BenchOptions } from './options.js';
import { machineInfo } from './proc/proc-stats.js';
import { analyzeProfiles } from './profile/analyze.js';
import { buildRows, generatorNotes, renderMarkdown } from './report/table.js';
import { runHub, type HubResults } from './run-hub.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

function commitOf(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown';
  }
}

/** Where each hub's memory and CPU went, process by process (idle, and under the heaviest load). */
function breakdown(r: HubResults): string[] {
  const lines = [`${r.kind} idle RSS by process: ${r.idle.memory.processes.map((p) => `${p.name} ${p.rssMiB}`).join(', ')} MiB`];
  const loads = (r.heartbeat ?? []).flatMap((h) => h.loads);
  const heaviest = loads[loads.length - 1];
  if (heaviest) {
    const busy = heaviest.cpu.processes.filter((p) => p.cpuPct >= 0.5).sort((a, b) => b.cpuPct - a.cpuPct);
    lines.push(`${r.kind} CPU by process, ${heaviest.sockets} sockets + ${heaviest.messagesPerSec} msg/s: ${busy.map((p) => `${p.name} ${p.cpuPct}%`).join(', ')}`);
  }
  return lines;
}

async function main(opts: BenchOptions): Promise<number> {
  const machine = machineInfo();
  const meta = { date: new Date().toISOString(), commit: commitOf(), node: process.version, machine, quick: opts.quick, phases: opts.phases, workers: opts.workers };
  say(`bench ${opts.quick ? '(quick) ' : ''}at ${meta.commit} on ${machine.cores} × ${machine.cpu}, load average ${machine.loadavg}`);
  say(`hubs: ${opts.hubs.join(', ')}; phases: ${opts.phases.join(', ')}${opts.profileDir ? `; profiling teamhub into ${opts.profileDir}` : ''}`);
  const gen = await LoadGenerator.start(opts.workers);
  const results: Partial<Record<'teamhub' | 'hapi', HubResults>> = {};
  const errors: Record<string, string> = {};
  const t0 = performance.now();
  try {
    for (const kind of opts.hubs) {
      try {
        results[kind] = await runHub(kind, opts, gen, say);
        if (results[kind]!.error) errors[kind] = results[kind]!.error!;
      } catch (err) {
        errors[kind] = String((err as Error).stack ?? err);
        say(`${kind} failed: ${errors[kind]}`);
      }
    }
  } finally {
    await gen.stop();
  }
  const rows = buildRows(results.teamhub, results.hapi);
  const notes = generatorNotes(results.teamhub, results.hapi);
  say('');
  say(renderMarkdown(rows));
  say('');
  say(`CPU is in percent of one core (this machine has ${machine.cores} cores, so ${machine.cores * 100}% is all of it). RSS sums VmRSS over every process of a hub;`);
  say('PSS counts pages shared between processes (the node binary, libraries) once. What the load generator itself cost:');
  for (const n of notes) say(`  ${n}`);
  for (const r of [results.teamhub, results.hapi]) if (r) for (const l of breakdown(r)) say(l);
  for (const r of [results.teamhub, results.hapi]) if (r?.problems.length) say(`${r.kind} problems: ${r.problems.slice(0, 5).join(' | ')}`);
  const profile = opts.profileDir && results.teamhub?.profiledProcesses ? analyzeProfiles(opts.profileDir, results.teamhub) : undefined;
  if (profile) say(`profile summary: ${profile}`);
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify({ meta: { ...meta, seconds: Math.round((performance.now() - t0) / 1000) }, plan: opts.plan, results, errors, table: rows, generator: notes }, null, 2)}\n`);
  say(`figures: ${path.relative(process.cwd(), opts.out)} (${Math.round((performance.now() - t0) / 1000)} s in all)`);
  return Object.keys(errors).length ? 1 : 0;
}

try {
  process.exitCode = await main(parseOptions(process.argv.slice(2), REPO_ROOT));
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  } else throw err;
}
