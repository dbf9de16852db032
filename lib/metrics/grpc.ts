import * as grpc from '@grpc/grpc-js';
import { hubMetrics } from './registry.js';

/** `OK`, `NOT_FOUND`, …: the name of a gRPC status code (a closed set, so a bounded label). */
export function grpcCodeName(code: number): string {
  return grpc.status[code] ?? 'UNKNOWN';
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** Counts and times every call of one served method (its answer, whatever the handler did). */
export function measureServerUnary<Req, Res>(method: string, inner: grpc.handleUnaryCall<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  const m = hubMetrics();
  const duration = m.grpcServerDuration.labels(method);
  return (call, callback) => {
    const started = process.hrtime.bigint();
    inner(call, (err, value, trailer, flags) => {
      duration.observe(seconds(started));
      m.grpcServerHandled.inc({ grpc_method: method, grpc_code: grpcCodeName(err ? (err.code ?? grpc.status.UNKNOWN) : grpc.status.OK) });
      callback(err, value, trailer, flags);
    });
  };
}

/** A client interceptor that counts and times each attempt of a call by method and status code. */
export const clientMetricsInterceptor: grpc.Interceptor = (options, nextCall) => {
  const method = options.method_definition.path;
  const m = hubMetrics();
  const started = process.hrtime.bigint();
  const requester = new grpc.RequesterBuilder()
    .withStart((metadata, listener, next) => {
      const observing = new grpc.ListenerBuilder()
        .withOnReceiveStatus((status, nextStatus) => {
          m.grpcClientDuration.observe({ grpc_method: method }, seconds(started));
          m.grpcClientHandled.inc({ grpc_method: method, grpc_code: grpcCodeName(status.code) });
          nextStatus(status);
        })
        .build();
      next(metadata, { ...listener, ...observing });
    })
    .build();
  return new grpc.InterceptingCall(nextCall(options), requester);
};
