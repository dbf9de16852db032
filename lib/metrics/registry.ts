import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/*
 * The metrics of this process, in one prom-client registry. It is the one module-level object
 * the hub keeps on purpose: a process has exactly one /metrics, and the hooks that feed it (the
 * gRPC server and client, the HTTP app, the event publisher, the stores) sit in shared code that
 * would otherwise need a metrics parameter threaded through every constructor.
 *
 * Label values are bounded and never name a namespace, a session, a machine or a user: route
 * templates (`/api/sessions/:id`), gRPC method paths, status codes, domain words. So a scrape
 * shows how the hub is doing, never who is doing what (one teammate's activity must not be
 * readable by anyone who can scrape).
 */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class HubMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'teamhub_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'teamhub_http_request_duration_seconds',
    help: 'HTTP request latency until the response was sent, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly grpcServerHandled = new Counter({
    name: 'teamhub_grpc_server_handled_total',
    help: 'gRPC calls this process served, by method and status code',
    labelNames: ['grpc_method', 'grpc_code'] as const,
    registers: [this.registry],
  });
  readonly grpcServerDuration = new Histogram({
    name: 'teamhub_grpc_server_handling_seconds',
    help: 'gRPC call latency on the serving side, by method',
    labelNames: ['grpc_method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly grpcClientHandled = new Counter({
    name: 'teamhub_grpc_client_handled_total',
    help: 'gRPC calls this process made (each attempt), by method and status code',
    labelNames: ['grpc_method', 'grpc_code'] as const,
    registers: [this.registry],
  });
  readonly grpcClientDuration = new Histogram({
    name: 'teamhub_grpc_client_handling_seconds',
    help: 'gRPC call latency on the calling side (each attempt), by method',
    labelNames: ['grpc_method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly eventsPublished = new Counter({
    name: 'teamhub_events_published_total',
    help: 'Entity events published to NATS, by entity and kind; result ok or failed',
    labelNames: ['entity', 'kind', 'result'] as const,
    registers: [this.registry],
  });
  readonly eventsDelivered = new Counter({
    name: 'teamhub_events_delivered_total',
    help: 'Entity events handed to clients, by surface (socket: one per room, sse: one per stream)',
    labelNames: ['surface'] as const,
    registers: [this.registry],
  });
  readonly deliveryLag = new Histogram({
    name: 'teamhub_event_delivery_lag_seconds',
    help: 'Time from an event being stamped by the service that wrote it to its delivery, by surface',
    labelNames: ['surface'] as const,
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  readonly storeDuration = new Histogram({
    name: 'teamhub_store_operation_seconds',
    help: 'Store operation latency, by store method and result',
    labelNames: ['operation', 'result'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'teamhub_' });
  }

  /** A gauge read at scrape time (open sockets, SSE streams): `read` is called on every scrape. */
  gauge(name: string, help: string, read: () => number | Record<string, number>, labelName?: string): void {
    this.registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      labelNames: labelName ? [labelName] : [],
      registers: [this.registry],
      collect() {
        const v = read();
        this.reset();
        if (typeof v === 'number') this.set(v);
        else for (const [label, n] of Object.entries(v)) this.set({ [labelName!]: label }, n);
      },
    });
  }

  /** Names the process in every series (`service="gateway"`); bounded: one value per process. */
  setProcessName(name: string): void {
    this.registry.setDefaultLabels({ service: name });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

let current: HubMetrics | undefined;

/** This process's metrics (made on first use). */
export function hubMetrics(): HubMetrics {
  current ??= new HubMetrics();
  return current;
}
