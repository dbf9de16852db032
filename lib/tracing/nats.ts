import { context, type Context, type TextMapSetter } from '@opentelemetry/api';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { endSpan, injectInto, REQUEST_ID_ATTRIBUTE, SpanKind, startSpan, tracingOn } from './tracer.js';

const headerSetter: TextMapSetter<MsgHdrs> = { set: (h, key, value) => h.set(key, value) };

/**
 * Runs one NATS publish as a producer span, child of `parent` (the active context unless the
 * caller kept another: the outbox relay publishes after the call that wrote the event, so it
 * passes the context captured when the event was written), with the trace context in the
 * message's headers (`traceparent`), so a consumer can continue the trace. `publish` gets the
 * headers to send (undefined without tracing: nothing is added to the message).
 */
export async function tracePublish<T>(subjectKind: string, requestId: string | undefined, publish: (h: MsgHdrs | undefined) => Promise<T>, parent: Context = context.active()): Promise<T> {
  if (!tracingOn()) return publish(undefined);
  const attributes = { 'messaging.system': 'nats', 'messaging.operation': 'publish', ...(requestId === undefined ? {} : { [REQUEST_ID_ATTRIBUTE]: requestId }) };
  const { span, ctx } = startSpan(`publish ${subjectKind}`, SpanKind.PRODUCER, attributes, parent);
  const h = headers();
  injectInto(ctx, h, headerSetter);
  try {
    const out = await publish(h);
    endSpan(span);
    return out;
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
}

/**
 * The trace context an event is written in, kept (in memory only) with its outbox entry so the
 * relay's publish span is the child of the call that wrote it; undefined without tracing.
 */
export function writeContext(): Context | undefined {
  return tracingOn() ? context.active() : undefined;
}
