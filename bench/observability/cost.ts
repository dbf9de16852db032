/**
 * What the metrics and tracing hooks cost per gRPC call: the same unary call (a session lookup on
 * an in-memory SQLite store, over loopback gRPC) made N times one after another with tracing
 * off (the default: metrics hooks only) and then with tracing on (spans to an in-memory exporter,
 * the cheapest exporter there is), in one process, after a warm-up each.
 *   node --import tsx bench/observability/cost.ts [N]
 */
import { pino } from 'pino';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RpcClient } from '../../lib/grpc/client.js';
import { buildGrpcServer } from '../../lib/grpc/server.js';
import { SessionServiceService } from '../../lib/gen/teamhub/session/v1/session.js';
import { namespaceContext } from '../../lib/context.js';
import { parseNamespace } from '../../lib/namespace.js';
import { startTracing } from '../../lib/tracing/setup.js';
import { loadTracingConfig } from '../../lib/tracing/config.js';
import * as session from '../../services/session/server.js';
import { SqliteSessionStore } from '../../services/session/store-sqlite.js';
import type { EventSink } from '../../lib/events/publisher.js';

const N = Number(process.argv[2] ?? 3000);
const SECRET = 'bench-internal-secret-0123456789';
const log = pino({ level: 'silent' });
const sink: EventSink = { publish: async () => undefined };

async function run(label: string): Promise<void> {
  const store = await SqliteSessionStore.open(':memory:');
  const server = buildGrpcServer({ healthName: session.HEALTH_NAME, internalSecret: SECRET, log, services: session.buildServices({ store, sink }) });
  const port = await server.listen('127.0.0.1:0');
  const client = new RpcClient(SessionServiceService, `127.0.0.1:${port}`, { internalSecret: SECRET });
  const ctx = namespaceContext(log, parseNamespace('alice'));
  const { session: s } = await client.call('createOrLoadSession', { tag: 'bench', metadataJson: '{}' }, ctx);
  for (let i = 0; i < 500; i++) await client.call('getSession', { id: s!.id }, ctx);
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await client.call('getSession', { id: s!.id }, ctx);
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(`${label.padEnd(28)} mean ${mean.toFixed(1)} µs  p50 ${times[Math.floor(N / 2)]!.toFixed(1)} µs  p99 ${times[Math.floor(N * 0.99)]!.toFixed(1)} µs`);
  client.close();
  await server.stop(1000);
  await store.close();
}

await run('tracing off (default)');
const exporter = new InMemorySpanExporter();
const tracing = await startTracing(loadTracingConfig({}, 'bench'), log, { spanProcessors: [new SimpleSpanProcessor(exporter)] });
await run('tracing on (in-memory)');
console.log(`spans recorded with tracing on: ${exporter.getFinishedSpans().length}`);
await tracing.shutdown();
await run('tracing off again');
