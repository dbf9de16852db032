import * as grpc from '@grpc/grpc-js';
import { AppError, fromGrpcError } from '../errors.js';
import { buildCallMetadata, type CallScope } from './metadata.js';

type MethodDef = {
  path: string;
  requestSerialize: (v: any) => Buffer;
  responseDeserialize: (b: Buffer) => any;
};
type ReqOf<M> = M extends { requestSerialize: (v: infer R) => Buffer } ? R : never;
type ResOf<M> = M extends { responseDeserialize: (b: Buffer) => infer R } ? R : never;

export interface RpcClientOptions {
  internalSecret: string;
  /** Per-call deadline unless the call gives its own. */
  deadlineMs?: number;
  /** How long to keep retrying a call that fails with UNAVAILABLE before giving up. */
  unavailableBudgetMs?: number;
}

export interface CallOptions {
  deadlineMs?: number;
}

/**
 * A promise-based client for one generated service definition. Every call carries the internal
 * credential and the caller's scope; UNAVAILABLE is retried with a short backoff within a budget,
 * so a restarted service is picked up without restarting the caller, and a dead one fails fast.
 */
export class RpcClient<D extends Record<string, MethodDef>> {
  private readonly client: grpc.Client;
  private readonly deadlineMs: number;
  private readonly budgetMs: number;

  constructor(
    private readonly definition: D,
    address: string,
    private readonly opts: RpcClientOptions,
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // Spread calls over every address the name resolves to (scaled service replicas).
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    });
    this.deadlineMs = opts.deadlineMs ?? 10_000;
    this.budgetMs = opts.unavailableBudgetMs ?? 600;
  }

  async call<K extends keyof D & string>(method: K, request: ReqOf<D[K]>, scope: CallScope, options: CallOptions = {}): Promise<ResOf<D[K]>> {
    const started = Date.now();
    let delay = 50;
    for (;;) {
      try {
        return await this.once(method, request, scope, options);
      } catch (err) {
        const appErr = fromGrpcError(err);
        // Only a transport-level UNAVAILABLE is retried; one a handler threw on purpose (it carries
        // the teamhub-error-code trailer, e.g. "Telegram authentication is disabled") keeps its text.
        const se = err as Partial<grpc.ServiceError>;
        const fromHandler = (se?.metadata?.get('teamhub-error-code').length ?? 0) > 0;
        const retriable = se?.code === grpc.status.UNAVAILABLE && !fromHandler;
        if (!retriable || Date.now() - started + delay > this.budgetMs) {
          throw retriable ? new AppError('unavailable', 'service unavailable', { cause: err }) : appErr;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 200);
      }
    }
  }

  private once<K extends keyof D & string>(method: K, request: ReqOf<D[K]>, scope: CallScope, options: CallOptions): Promise<ResOf<D[K]>> {
    const def = this.definition[method];
    if (!def) return Promise.reject(new AppError('internal', `unknown method ${method}`));
    const md = buildCallMetadata(this.opts.internalSecret, scope);
    const deadline = Date.now() + (options.deadlineMs ?? this.deadlineMs);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, md, { deadline }, (err, res) =>
        err ? reject(err) : resolve(res as ResOf<D[K]>),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
