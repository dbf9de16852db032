/**
 * `make run`: the whole hub on this machine (nats-server, auth, session, machine, gateway), with
 * every child's log lines prefixed by its name, then a banner with the URL and the tokens.
 * A child that dies on its own is restarted (same addresses; the others keep serving) after a
 * short backoff; one that crashes in a loop (TEAMHUB_RESTART_LIMIT times within
 * TEAMHUB_RESTART_WINDOW_MS) stops everything, and the launcher exits 1 with its last output.
 * Ctrl-C / SIGTERM stops the children in reverse order and exits 0. Data stays in
 * TEAMHUB_DATA_DIR (default ./.teamhub) between runs.
 */
import { ConfigError } from '../lib/config.js';
import { loadLauncherConfig, type LauncherConfig } from './launcher-config.js';
import { formatLogLine } from './log-format.js';
import { describeExit, killAllChildren, startLocalHub, StartupError, type ChildFailure, type LocalHub } from './local-hub.js';

const env = process.env;
let config: LauncherConfig;
try {
  config = loadLauncherConfig(env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`teamhub: ${err.message}\n`);
  process.exit(2);
}
const { dataDir, host, port } = config;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function showFailure(f: ChildFailure): void {
  out('');
  const why = f.crashes > 0 ? `crashed ${f.crashes} times within ${Math.round(config.restart.windowMs / 1000)} s` : 'stopped unexpectedly';
  out(`teamhub: ${f.name} ${why} (last: ${describeExit(f.code, f.signal)}). Its last output:`);
  for (const line of f.tail) out(`  ${f.name} | ${formatLogLine(line).split('\n').join(`\n  ${f.name} | `)}`);
}

function banner(hub: LocalHub): void {
  const base = hub.baseToken ?? '<base token: not announced; see the auth log above>';
  const rule = '-'.repeat(72);
  out('');
  out(rule);
  out('  teamhub is running');
  out(`  URL:          ${hub.url}`);
  out(`  Base token:   ${base}`);
  // The admin token is shown once, when it is generated; after that only where it is kept.
  const kept = hub.adminTokenFile ? `kept in ${hub.adminTokenFile} (mode 0600; the teamhub CLI reads it there)` : 'kept in the auth store';
  if (hub.adminToken) {
    out(`  Admin token:  ${hub.adminToken}`);
    out(`                (generated now and shown only this once; ${kept}; hub administration only)`);
  } else {
    out(`  Admin token:  ${kept}`);
  }
  out(`  Data:         ${hub.dataDir}`);
  // Each process's own /metrics (Prometheus text), on loopback; TEAMHUB_METRICS_LISTEN=off turns them off.
  for (const [i, m] of hub.metrics.entries()) out(`  ${i === 0 ? 'Metrics:' : '        '}      ${m.url}  (${m.name})`);
  out('');
  out('  Each teammate appends their own name to the base token and gets an isolated namespace:');
  out(`    HAPI_API_URL=${hub.url} CLI_API_TOKEN="${base}:alice" hapi`);
  out(`    HAPI_API_URL=${hub.url} CLI_API_TOKEN="${base}:bob" hapi`);
  out('  The same token logs in on the web page. Several namespaces on one computer need a separate');
  out('  HAPI_HOME each (HAPI_HOME=~/.hapi-alice hapi). Stop with Ctrl-C; data is kept for next time.');
  out(`  A process that dies is restarted by itself; ${config.restart.limit} crashes of one within ${Math.round(config.restart.windowMs / 1000)} s stop the hub.`);
  out(rule);
  // Machine-readable, for scripts and tests.
  out(`TEAMHUB_HUB_READY url=${hub.url}`);
}

let hub: LocalHub | null = null;
let signals = 0;
let firstSignalAt = 0;
const abort = new AbortController();

async function shutdown(reason: string, code: number): Promise<never> {
  out(`teamhub: ${reason}; stopping`);
  if (hub) await hub.stop(10_000);
  out('teamhub: stopped');
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // One Ctrl-C can arrive twice (e.g. through `timeout` or a wrapper); only a later one forces.
    if (signals > 0 && Date.now() - firstSignalAt < 1500) return;
    if (signals === 0) firstSignalAt = Date.now();
    signals += 1;
    if (signals > 1) {
      out('teamhub: second signal; killing every child now');
      killAllChildren();
      process.exit(130);
    }
    if (hub) void shutdown(`${sig} received`, 0);
    else abort.abort();
  });
}

try {
  out(`teamhub: starting (data in ${dataDir})`);
  hub = await startLocalHub({ dataDir, host, port, env, print: out, color: process.stdout.isTTY, restart: config.restart, signal: abort.signal });
} catch (err) {
  if (err instanceof StartupError) {
    if (err.message === 'interrupted') {
      out('teamhub: stopped before it was ready');
      process.exit(0);
    }
    if (err.failure) showFailure(err.failure);
    process.stderr.write(`teamhub: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

banner(hub);
void hub.failed.then(async (f) => {
  if (signals > 0) return;
  showFailure(f);
  await shutdown(`${f.name} keeps crashing`, 1);
});
