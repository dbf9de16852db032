import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

/*
 * What the hooks (HTTP edge, socket events, gRPC client and server, NATS publish) use. Until
 * `startTracing` (setup.ts) installs the SDK, `tracingOn()` is false and the hooks are not even
 * installed, so a hub without tracing pays one boolean check per call site at most.
 */

let on = false;

export function tracingOn(): boolean {
  return on;
}

/** Called by setup.ts once the SDK is registered (and by its shutdown). */
export function setTracingOn(value: boolean): void {
  on = value;
}

/** The request id every span carries, so a trace and the log lines of one request find each other. */
export const REQUEST_ID_ATTRIBUTE = 'teamhub.request_id';

const tracer = () => trace.getTracer('teamhub');

export function startSpan(name: string, kind: SpanKind, attributes: Attributes, parent: Context = context.active()): { span: Span; ctx: Context } {
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Ends a span, marking it failed when `err` is set. */
export function endSpan(span: Span, err?: unknown, attributes?: Attributes): void {
  if (attributes) span.setAttributes(attributes);
  if (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

/** Propagation through a carrier with get/set of string values (gRPC metadata, NATS headers). */
export function injectInto<C>(ctx: Context, carrier: C, setter: TextMapSetter<C>): void {
  propagation.inject(ctx, carrier, setter);
}

export function extractFrom<C>(carrier: C, getter: TextMapGetter<C>): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

export function runWith<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

export { SpanKind };
