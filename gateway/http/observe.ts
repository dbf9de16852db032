import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Span, Context, TextMapGetter } from '@opentelemetry/api';
import { hubMetrics } from '../../lib/metrics/registry.js';
import { endSpan, extractFrom, REQUEST_ID_ATTRIBUTE, runWith, SpanKind, startSpan, tracingOn } from '../../lib/tracing/tracer.js';

/** What a request matched: Fastify's route template (`/api/sessions/:id`), never the raw URL. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched';
}

/** The SSE route: its responses are streams (the SSE hub writes their head itself, so no header to look at). */
const SSE_ROUTE = '/api/events';
const isOpenStream = (raw: ServerResponse) => raw.headersSent && raw.statusCode === 200 && !raw.writableEnded;

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  get: (h, key) => {
    const v = h[key];
    return Array.isArray(v) ? v[0] : v;
  },
  keys: (h) => Object.keys(h),
};

interface Traced {
  span: Span;
  ctx: Context;
  ended: boolean;
}

const TRACED = Symbol('teamhub.traced');

/**
 * Metrics (and, with tracing on, a server span) for every HTTP request of the gateway:
 * `teamhub_http_requests_total{method,route,status}`, the latency histogram, and the number of
 * open SSE streams. Labels are route templates and status codes only: a URL's ids never become a
 * label, so a scrape says how the API is used, not by whom or on what.
 */
export function installHttpObservers(app: FastifyInstance): void {
  const m = hubMetrics();
  const streams = new Set<ServerResponse>();
  m.gauge('teamhub_sse_streams', 'SSE streams (/api/events) open on this gateway', () => {
    let n = 0;
    for (const raw of streams) if (isOpenStream(raw)) n += 1;
    return n;
  });

  app.addHook('onRequest', async (request, reply) => {
    const raw = reply.raw;
    const route = routeOf(request);
    if (route === SSE_ROUTE && !streams.has(raw)) {
      streams.add(raw);
      raw.once('close', () => streams.delete(raw));
    }
    if (!tracingOn()) return;
    const parent = extractFrom(request.headers, headerGetter);
    const { span, ctx } = startSpan(`${request.method} ${route}`, SpanKind.SERVER, {
      'http.request.method': request.method,
      'http.route': route,
      [REQUEST_ID_ATTRIBUTE]: String(request.id),
    }, parent);
    const traced: Traced = { span, ctx, ended: false };
    (request as unknown as Record<symbol, Traced>)[TRACED] = traced;
    // A stream the client closes never finishes: end its span when the connection goes.
    raw.once('close', () => finish(traced, reply.statusCode));
  });

  // Callback style on purpose: the handler runs inside `done`, so it sees the request's span as
  // the active one and its gRPC calls become that span's children.
  app.addHook('preHandler', (request, _reply, done) => {
    const traced = (request as unknown as Record<symbol, Traced | undefined>)[TRACED];
    if (traced) runWith(traced.ctx, done);
    else done();
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    const status = String(reply.statusCode);
    m.httpRequests.inc({ method: request.method, route, status });
    // An SSE stream's lifetime is not a request latency.
    if (route !== SSE_ROUTE) m.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    const traced = (request as unknown as Record<symbol, Traced | undefined>)[TRACED];
    if (traced) finish(traced, reply.statusCode);
  });
}

function finish(traced: Traced, status: number): void {
  if (traced.ended) return;
  traced.ended = true;
  endSpan(traced.span, status >= 500 ? new Error(`HTTP ${status}`) : undefined, { 'http.response.status_code': status });
}
