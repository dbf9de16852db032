import * as grpc from '@grpc/grpc-js';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { MD_REQUEST_ID } from '../grpc/metadata.js';
import { grpcCodeName } from '../metrics/grpc.js';
import { endSpan, extractFrom, injectInto, REQUEST_ID_ATTRIBUTE, runWith, SpanKind, startSpan, tracingOn } from './tracer.js';

/** W3C trace context (`traceparent`, `tracestate`) in gRPC call metadata. */
const metadataSetter: TextMapSetter<grpc.Metadata> = { set: (md, key, value) => md.set(key, value) };
const metadataGetter: TextMapGetter<grpc.Metadata> = {
  get: (md, key) => {
    const v = md.get(key)[0];
    return typeof v === 'string' ? v : undefined;
  },
  keys: (md) => Object.keys(md.getMap()),
};

function requestIdOf(md: grpc.Metadata): string | undefined {
  const v = md.get(MD_REQUEST_ID)[0];
  return typeof v === 'string' ? v : undefined;
}

const rpcAttributes = (method: string) => {
  const [, service = '', name = ''] = /^\/([^/]+)\/(.+)$/.exec(method) ?? [];
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': name };
};

/**
 * The serving side of a call as a span, child of the caller's (from the metadata), active while
 * the handler runs, so the handler's own calls and publishes join the same trace. Without
 * tracing the handler is returned as it is.
 */
export function traceServerUnary<Req, Res>(method: string, inner: grpc.handleUnaryCall<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  if (!tracingOn()) return inner;
  const attributes = rpcAttributes(method);
  return (call, callback) => {
    const parent = extractFrom(call.metadata, metadataGetter);
    const { span, ctx } = startSpan(method.slice(1), SpanKind.SERVER, { ...attributes, [REQUEST_ID_ATTRIBUTE]: requestIdOf(call.metadata) ?? 'none' }, parent);
    runWith(ctx, () =>
      inner(call, (err, value, trailer, flags) => {
        endSpan(span, err ? new Error(err.details ?? grpcCodeName(err.code ?? grpc.status.UNKNOWN)) : undefined, { 'rpc.grpc.status_code': err?.code ?? grpc.status.OK });
        callback(err, value, trailer, flags);
      }),
    );
  };
}

/** The calling side of each attempt as a span, its context sent along in the metadata. */
export const clientTracingInterceptor: grpc.Interceptor = (options, nextCall) => {
  const method = options.method_definition.path;
  const requester = new grpc.RequesterBuilder()
    .withStart((metadata, listener, next) => {
      const { span, ctx } = startSpan(method.slice(1), SpanKind.CLIENT, { ...rpcAttributes(method), [REQUEST_ID_ATTRIBUTE]: requestIdOf(metadata) ?? 'none' });
      injectInto(ctx, metadata, metadataSetter);
      const ending = new grpc.ListenerBuilder()
        .withOnReceiveStatus((status, nextStatus) => {
          endSpan(span, status.code === grpc.status.OK ? undefined : new Error(status.details || grpcCodeName(status.code)), { 'rpc.grpc.status_code': status.code });
          nextStatus(status);
        })
        .build();
      next(metadata, { ...listener, ...ending });
    })
    .build();
  return new grpc.InterceptingCall(nextCall(options), requester);
};
