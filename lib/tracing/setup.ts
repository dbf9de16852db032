import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../logger.js';
import type { TracingConfig } from './config.js';
import { setTracingOn } from './tracer.js';

export interface Tracing {
  enabled: boolean;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

/**
 * Installs the OpenTelemetry SDK for this process when the config enables it (or a test hands
 * its own span processors, e.g. the in-memory exporter's): a tracer provider with the W3C trace
 * context propagator and the AsyncLocalStorage context manager, spans batched to the exporter.
 * The SDK is loaded only then, so a hub without tracing does not even load it.
 */
export async function startTracing(cfg: TracingConfig, log: Logger, opts: { spanProcessors?: SpanProcessor[] } = {}): Promise<Tracing> {
  if (!cfg.enabled && !opts.spanProcessors) return OFF;
  const [{ NodeTracerProvider }, base, { W3CTraceContextPropagator }, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  let processors = opts.spanProcessors;
  if (!processors) {
    const exporter =
      cfg.exporter === 'console'
        ? new base.ConsoleSpanExporter()
        : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    processors = [new base.BatchSpanProcessor(exporter)];
  }
  // OTEL_RESOURCE_ATTRIBUTES (read by the env detector) may add to the resource; the name is ours.
  const detected = resources.detectResources({ detectors: [resources.envDetector] });
  const resource = detected.merge(resources.resourceFromAttributes({ 'service.name': cfg.serviceName }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  setTracingOn(true);
  log.info({ exporter: opts.spanProcessors ? 'test' : cfg.exporter, serviceName: cfg.serviceName }, 'tracing started');
  return {
    enabled: true,
    async shutdown() {
      setTracingOn(false);
      await provider.shutdown();
      // Back to the API's no-op globals, so a later start (tests) registers afresh.
      const api = await import('@opentelemetry/api');
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}
