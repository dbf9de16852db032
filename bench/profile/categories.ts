/**
 * Which part of the stack a profile frame belongs to. V8 charges a builtin (JSON.parse, a
 * Buffer copy, a native SQLite call) to the JS function that called it, so JSON work shows up in
 * its caller (Fastify's serializer, the room relay, ts-proto's JSON helpers); Node's own frames
 * (streams, net, timers) are charged to the nearest library or app frame that called them.
 */
export interface CallFrame {
  functionName: string;
  /** Repository-relative for project files (`gateway/app.ts`), from `node_modules/` for packages, else as V8 gave it (`node:net`). */
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

/** The url of a frame as `CallFrame.url` wants it. */
export function shortUrl(url: string, repoRoot: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm);
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  return file.startsWith(`${repoRoot}/`) ? file.slice(repoRoot.length + 1) : file;
}

const LIBRARIES: Array<[string, RegExp]> = [
  ['tsx/esbuild transpile', /node_modules\/(tsx|esbuild|@esbuild|get-tsconfig|source-map-support)\//],
  ['protobuf encode/decode', /node_modules\/(@bufbuild\/protobuf|protobufjs|long)\/|^(dist\/)?lib\/gen\//],
  ['gRPC (grpc-js, http2)', /node_modules\/(@grpc\/|@js-sdsl\/)|^node:(internal\/)?http2/],
  ['NATS / JetStream client', /node_modules\/@nats-io\//],
  ['Socket.IO / engine.io / ws', /node_modules\/(socket\.io[^/]*|engine\.io[^/]*|ws|@socket\.io\/[^/]+)\//],
  ['Fastify (routing, JSON serialize/parse)', /node_modules\/(fastify|@fastify\/[^/]+|find-my-way|avvio|light-my-request|fast-json-stringify|secure-json-parse|fast-querystring|fast-uri|ajv|json-schema-ref-resolver|abstract-logging|process-warning|toad-cache|rfdc)\//],
  ['pino logging', /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|@pinojs\/[^/]+|on-exit-leak-free|quick-format-unescaped|safe-stable-stringify|atomic-sleep|fast-copy)\//],
  ['SQLite (better-sqlite3)', /node_modules\/better-sqlite3\//],
  ['MongoDB driver', /node_modules\/(mongodb|bson)\//],
  ['zod validation', /node_modules\/zod\//],
  ['jose (JWT)', /node_modules\/jose\//],
  ['other libraries', /node_modules\//],
  ['launcher (log piping and formatting)', /^(dist\/)?scripts\/(local-hub|log-format|run-local|supervised-child)\.[tj]s/],
  ['app code: gateway', /^(dist\/)?gateway\//],
  ['app code: services', /^(dist\/)?services\//],
  ['app code: lib', /^(dist\/)?lib\//],
  ['Node HTTP server', /^node:(_http_|internal\/http\b|http\b)/],
  ['Node module loading', /^node:internal\/modules\//],
];

export const GC = 'GC';
export const IDLE = '(idle)';
export const PROGRAM = '(program): VM and native code outside JS';
export const NODE_CORE = 'Node core (streams, net, timers) called from the event loop';

/** The category of one frame alone, or undefined for a generic frame (Node core, a native function). */
export function frameCategory(cf: CallFrame): string | undefined {
  if (cf.functionName === '(garbage collector)') return GC;
  if (cf.functionName === '(idle)') return IDLE;
  if (cf.functionName === '(program)') return PROGRAM;
  for (const [name, re] of LIBRARIES) if (re.test(cf.url)) return name;
  return undefined;
}

/** The category of a sample: its leaf frame's, else the nearest caller's that has one. */
export function stackCategory(stack: readonly CallFrame[]): string {
  for (let i = stack.length - 1; i >= 0; i--) {
    const c = frameCategory(stack[i]!);
    if (c) return c;
  }
  return NODE_CORE;
}

/**
 * The workload a bench phase belongs to (phases are fine-grained: "heartbeat 500 20 msg/s cpu").
 * CPU windows (heartbeats and agent messages only) are kept apart from the probe windows.
 */
export function workloadOf(phase: string): string {
  if (['start', 'idle', 'stop', 'after workload'].includes(phase)) return phase;
  if (phase.startsWith('creates')) return 'creates';
  if (/^(top up|list|get) /.test(phase)) return 'list/get';
  if (/^create \d+ (load|history) sessions$/.test(phase)) return 'setup: creating load sessions';
  let m = /^heartbeat (\d+) (connect|activation)$/.exec(phase);
  if (m) return `connect ${m[1]} sockets`;
  if (/ warmup$/.test(phase)) return 'warm-up before a CPU window (message rate just changed)';
  if (/ end$/.test(phase)) return 'sessions ending (session-end, sockets closed)';
  if (/^replicas two \d+ (connect|activation)$/.test(phase)) return 'two gateway replicas: connect';
  m = /^heartbeat (\d+) (\d+) msg\/s (cpu|probes)$/.exec(phase);
  if (m) return `heartbeat ${m[1]} sockets + ${m[2]} msg/s${m[3] === 'probes' ? ': web probes + lists' : ''}`;
  if (phase.startsWith('replicas') || phase === 'start second gateway') return 'two gateway replicas';
  if (phase.startsWith('seed ')) return 'history: seeding messages';
  if (phase === 'history connect' || phase === 'history activation') return 'history: connect';
  if (phase.startsWith('history')) return phase.includes('full') ? 'history: measured full' : 'history: measured empty';
  return phase;
}
