/**
 * `make run`: the whole hub on this machine (nats-server, auth, session, machine, gateway), with
 * every child's log lines prefixed by its name, then a banner with the URL and the tokens.
 * Ctrl-C / SIGTERM stops the children in reverse order and exits 0; a child dying on its own
 * stops everything and exits 1 with that child's last output. Data stays in TEAMHUB_DATA_DIR
 * (default ./.teamhub) between runs.
 */
import { describeExit, killAllChildren, startLocalHub, StartupError, type ChildFailure, type LocalHub } from './local-hub.js';

const env = process.env;
const dataDir = env.TEAMHUB_DATA_DIR || '.teamhub';
const host = env.HAPI_LISTEN_HOST || '127.0.0.1';
const portText = env.HAPI_LISTEN_PORT || '3006';
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`HAPI_LISTEN_PORT must be a port number, got ${JSON.stringify(portText)}\n`);
  process.exit(2);
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function showFailure(f: ChildFailure): void {
  out('');
  out(`teamhub: ${f.name} stopped unexpectedly (${describeExit(f.code, f.signal)}). Its last output:`);
  for (const line of f.tail) out(`  ${f.name} | ${line}`);
}

function banner(hub: LocalHub): void {
  const base = hub.baseToken ?? '<base token: not announced; see the auth log above>';
  const rule = '-'.repeat(72);
  out('');
  out(rule);
  out('  teamhub is running');
  out(`  URL:          ${hub.url}`);
  out(`  Base token:   ${base}`);
  out(`  Admin token:  ${hub.adminToken ?? '<not announced>'}   (hub administration only; keep it to yourself)`);
  out(`  Data:         ${hub.dataDir}`);
  out('');
  out('  Each teammate appends their own name to the base token and gets an isolated namespace:');
  out(`    HAPI_API_URL=${hub.url} CLI_API_TOKEN="${base}:alice" hapi`);
  out(`    HAPI_API_URL=${hub.url} CLI_API_TOKEN="${base}:bob" hapi`);
  out('  The same token logs in on the web page. Several namespaces on one computer need a separate');
  out('  HAPI_HOME each (HAPI_HOME=~/.hapi-alice hapi). Stop with Ctrl-C; data is kept for next time.');
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
  hub = await startLocalHub({ dataDir, host, port, env, print: out, color: process.stdout.isTTY, signal: abort.signal });
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
  await shutdown(`${f.name} died`, 1);
});
