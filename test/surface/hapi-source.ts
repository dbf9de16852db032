import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The real `hapi` 0.30.7 binary (devDependency @twsxtd/hapi, linux-x64 build). */
export function hapiBinary(): string {
  return path.join(path.dirname(require.resolve('@twsxtd/hapi-linux-x64/package.json')), 'bin', 'hapi');
}

/** A marker that only the hub's bundled source contains; the source block around it is what we read. */
const SOURCE_MARKER = '// ../hub/src/web/routes/auth.ts';

function isSourceCodeUnit(unit: number): boolean {
  return unit === 9 || unit === 10 || unit === 13 || (unit >= 32 && unit < 0xd800) || (unit >= 0xe000 && unit < 0xfffe);
}

let cached: string | null = null;

/**
 * The hub, CLI and shared sources that Bun embedded in the binary, as one text. Bun stores the
 * bundle as UTF-16LE; the block is the run of printable code units around a marker only it has.
 * Read once per process (the binary is about 140 MB).
 */
export function hapiEmbeddedSource(): string {
  if (cached) return cached;
  const bin = readFileSync(hapiBinary());
  const at = bin.indexOf(Buffer.from(SOURCE_MARKER, 'utf16le'));
  if (at < 0) throw new Error('the hapi binary does not contain the embedded hub source');
  let start = at - (at % 2 === 0 ? 0 : 1);
  while (start >= 2 && isSourceCodeUnit(bin.readUInt16LE(start - 2))) start -= 2;
  let end = at;
  while (end + 1 < bin.length && isSourceCodeUnit(bin.readUInt16LE(end))) end += 2;
  cached = bin.subarray(start, end).toString('utf16le');
  return cached;
}

/** The text of one bundled module (`hub/src/web/routes/git.ts`, `shared/src/schemas.ts`, …). */
export function hapiModule(modulePath: string): string {
  const source = hapiEmbeddedSource();
  const header = `// ../${modulePath}\n`;
  const at = source.indexOf(header);
  if (at < 0) throw new Error(`module ${modulePath} is not in the embedded source`);
  const next = source.indexOf('\n// ../', at + header.length);
  return source.slice(at + header.length, next < 0 ? undefined : next);
}

/** Where each route module is mounted (`app.route("/api", …)` in hub/src/web/server.ts). */
const ROUTE_MODULE_PREFIX: Record<string, string> = {
  cli: '/cli',
  auth: '/api',
  bind: '/api',
  events: '/api',
  sessions: '/api',
  messages: '/api',
  permissions: '/api',
  machines: '/api',
  storage: '/api',
  hubSettings: '/api',
  usage: '/api',
  git: '/api',
  codexDesktop: '/api',
  piSessions: '/api',
  push: '/api',
  devices: '/api',
  voice: '/api',
  workGraph: '/api',
};

/** Every `METHOD /path` the hub's route modules declare, plus `/health` from the server module. */
export function hapiDeclaredRoutes(): string[] {
  const routes = ['GET /health'];
  for (const [module, prefix] of Object.entries(ROUTE_MODULE_PREFIX)) {
    const text = hapiModule(`hub/src/web/routes/${module}.ts`);
    for (const m of text.matchAll(/\bapp\.(get|post|put|patch|delete)\("([^"]+)"/g)) {
      routes.push(`${m[1]!.toUpperCase()} ${prefix}${m[2]}`);
    }
  }
  return routes;
}

/** The `socket.on("<event>")` names one handler module registers. */
export function hapiSocketHandlers(modulePath: string): string[] {
  return [...hapiModule(modulePath).matchAll(/socket\.on\("([^"]+)"/g)].map((m) => m[1]!).filter((e) => e !== 'disconnect');
}

/** The method names in `RPC_METHODS` (shared/src/rpcMethods.ts). */
export function hapiRpcMethodNames(): string[] {
  return [...hapiModule('shared/src/rpcMethods.ts').matchAll(/^\s+\w+: "([^"]+)"/gm)].map((m) => m[1]!);
}

/**
 * The RPC methods the hub relays, as `session:<name>` / `machine:<name>`: every `sessionRpc` /
 * `machineRpc` call in hub/src/sync/rpcGateway.ts plus the Pi catalog the sessions routes send
 * through `callPiRpc`.
 */
export function hapiRelayedRpcMethods(): string[] {
  const names = new Map([...hapiModule('shared/src/rpcMethods.ts').matchAll(/^\s+(\w+): "([^"]+)"/gm)].map((m) => [m[1]!, m[2]!]));
  const relayed = [...hapiModule('hub/src/sync/rpcGateway.ts').matchAll(/this\.(session|machine)Rpc\(\w+, RPC_METHODS\.(\w+)/g)].map((m) => `${m[1]}:${names.get(m[2]!)}`);
  const pi = [...hapiModule('hub/src/web/routes/sessions.ts').matchAll(/callPiRpc\(\w+, RPC_METHODS\.(\w+)/g)].map((m) => `session:${names.get(m[1]!)}`);
  return [...new Set([...relayed, ...pi])];
}

/** The `type: literal("…")` members of `SyncEventSchema` (shared/src/schemas.ts). */
export function hapiSyncEventTypes(): string[] {
  const text = hapiModule('shared/src/schemas.ts');
  const at = text.indexOf('SyncEventSchema = discriminatedUnion("type"');
  const end = text.indexOf('CancelMessageResponseSchema =', at);
  return [...text.slice(at, end).matchAll(/type: literal\("([^"]+)"\)/g)].map((m) => m[1]!);
}

/** The web app files the binary embeds (hub/src/web/embeddedAssets.generated.ts): URL path and type. */
export function hapiEmbeddedAssets(): Array<{ path: string; mimeType: string }> {
  const text = hapiModule('hub/src/web/embeddedAssets.generated.ts');
  return [...text.matchAll(/\{ path: "([^"]+)", sourcePath: [\w$]+, mimeType: "([^"]+)" \}/g)].map((m) => ({ path: m[1]!, mimeType: m[2]! }));
}
