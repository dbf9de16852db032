import * as grpc from '@grpc/grpc-js';
import { AppError, ERROR_CODE_HEADER, fromGrpcError } from '../errors.js';
import { illFormedTextPath } from '../unicode-text.js';
import { buildCallMetadata, type CallScope } from './metadata.js';
import { clientMetricsInterceptor } from '../metrics/grpc.js';
import { clientTracingInterceptor } from '../tracing/grpc.js';
import { tracingOn } from '../tracing/tracer.js';

type MethodDef = {
  path: string;
  requestSerialize: (v: any) => Buffer;
  responseDeserialize: (b: Buffer) => any;
};
type ReqOf<M> = M extends { requestSerialize: (v: infer R) => Buffer } ? R : never;
type ResOf<M> = M extends { responseDeserialize: (b: Buffer) => infer R } ? R : never;

/**
 * A request body as a call site writes it: a namespaced request's `namespace` is filled from the
 * call's context, so call sites leave it out (tests still set it to check the server's refusal of
 * a body namespace that differs from the metadata one).
 */
export type BodyOf<R> = R extends { namespace: string } ? Omit<R, 'namespace'> & { namespace?: string } : R;

export interface RpcClientOptions {
  internalSecret: string;
  /** Per-call deadline unless the call gives its own. */
  deadlineMs?: number;
  /** How long to keep retrying a call that fails with UNAVAILABLE before giving up. */
  unavailableBudgetMs?: number;
  /** grpc-js client interceptors (metrics, tests that count calls). */
  interceptors?: grpc.Interceptor[];
}

export interface CallOptions {
  deadlineMs?: number;
}

/**
 * What a caller is told when the transport failed (no handler answered). grpc-js's own texts name
 * internals (`Deadline exceeded after 10.002s,LB pick: 0.001s,remote_addr=127.0.0.1:50152`,
 * `No connection established. Last error: connect ECONNREFUSED ...`); those stay in the cause for
 * the logs and never reach an error body.
 */
const TRANSPORT_TEXT: Partial<Record<AppError['code'], string>> = {
  unavailable: 'service unavailable',
  deadline_exceeded: 'Deadline exceeded',
  internal: 'internal error',
};

/** How long a call that found no connection waits for one before it fails `unavailable`. */
const DEFAULT_UNAVAILABLE_BUDGET_MS = 600;

const INITIAL_RECONNECT_BACKOFF_MS = 100;

/**
 * A restarted service is back on the same address, but the channel only notices when it dials
 * again, and grpc-js spaces those dials by its reconnect backoff (+-20 % jitter). With a cap longer
 * than the budget (it was 1 s against 600 ms), a call made just after a restart could spend its
 * whole budget waiting for the next dial and answer 503 although the service was up. Capping the
 * backoff at a third of the budget puts the next dial at most 0.4 budget away, which leaves the
 * connection itself the rest of the budget. Exported for the test that restarts a service.
 */
export function reconnectBackoffCapMs(unavailableBudgetMs: number): number {
  return Math.max(INITIAL_RECONNECT_BACKOFF_MS, Math.floor(unavailableBudgetMs / 3));
}
/**
 * A call that keeps failing UNAVAILABLE although the channel reports itself connected (a
 * connection lost between the two) is tried this many times at most, so it never spins.
 */
const MAX_ATTEMPTS = 5;

/**
 * grpc-js reports a call cut off after it was sent (the service died mid-call) as UNAVAILABLE
 * too. Such a call may have been carried out, so it is not sent again: the caller gets a 503 and
 * retries with its own idempotency key (a message's localId, a session's tag, a machine's id).
 */
function cutOffMidCall(err: Partial<grpc.ServiceError>): boolean {
  const details = err.details ?? '';
  return details === 'Connection dropped' || details.startsWith('Write failed');
}

/**
 * A promise-based client for one generated service definition. Every call carries the internal
 * credential and the caller's context (namespace or hub scope, request id), and a namespaced
 * body gets its `namespace` from that context. UNAVAILABLE before the call reached a service waits
 * for the channel to connect again, within a budget (600 ms), so a restarted service is picked up
 * without restarting the caller and a dead one fails fast; a transport error carries a fixed,
 * client-safe text. A request that cannot be encoded (a number out of its proto type's range, text
 * that is not well-formed Unicode) is the caller's bad input: `invalid_argument`, never sent.
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
    this.budgetMs = opts.unavailableBudgetMs ?? DEFAULT_UNAVAILABLE_BUDGET_MS;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': INITIAL_RECONNECT_BACKOFF_MS,
      'grpc.max_reconnect_backoff_ms': reconnectBackoffCapMs(this.budgetMs),
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // Spread calls over every address the name resolves to (scaled service replicas).
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
      // Every attempt is counted and timed; with tracing on (decided at start), also a client span.
      interceptors: [clientMetricsInterceptor, ...(tracingOn() ? [clientTracingInterceptor] : []), ...(opts.interceptors ?? [])],
    });
    this.deadlineMs = opts.deadlineMs ?? 10_000;
  }

  async call<K extends keyof D & string>(method: K, body: BodyOf<ReqOf<D[K]>>, ctx: CallScope, options: CallOptions = {}): Promise<ResOf<D[K]>> {
    const def = this.definition[method];
    if (!def) throw new AppError('internal', `unknown method ${method}`);
    const request = withNamespace(body as object, ctx);
    const encoded = encodeRequest(def, request);
    const giveUpAt = Date.now() + this.budgetMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.once(def, request, encoded, ctx, options)) as ResOf<D[K]>;
      } catch (err) {
        const se = err as Partial<grpc.ServiceError>;
        // An error a handler threw on purpose carries the error-code trailer and keeps its text
        // (e.g. "Telegram authentication is disabled"); anything else is the transport's.
        const fromHandler = (se?.metadata?.get(ERROR_CODE_HEADER).length ?? 0) > 0;
        const retriable = se?.code === grpc.status.UNAVAILABLE && !fromHandler && !cutOffMidCall(se);
        if (retriable && attempt < MAX_ATTEMPTS && (await this.connectedBy(giveUpAt))) continue;
        throw fromHandler ? fromGrpcError(err) : transportError(err);
      }
    }
  }

  private once(def: MethodDef, request: object, encoded: Buffer, scope: CallScope, options: CallOptions): Promise<unknown> {
    const md = buildCallMetadata(this.opts.internalSecret, scope);
    const deadline = Date.now() + (options.deadlineMs ?? this.deadlineMs);
    return new Promise((resolve, reject) => {
      // The request was encoded once up front (and checked there); every attempt sends those bytes.
      this.client.makeUnaryRequest(def.path, () => encoded, def.responseDeserialize, request, md, { deadline }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /**
   * Resolves true once the channel is connected (at once if it already is; asking also makes a
   * channel in backoff dial as soon as its backoff ends), false if it is not by `deadline`.
   */
  private connectedBy(deadline: number): Promise<boolean> {
    if (Date.now() >= deadline) return Promise.resolve(false);
    return new Promise((resolve) => this.client.waitForReady(deadline, (err) => resolve(!err)));
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A namespaced call's body gets the context's namespace unless the caller set one. Hub-scoped
 * bodies are left alone: a `namespace` there is a filter the caller chose (an admin listing).
 */
function withNamespace(body: object, scope: CallScope): object {
  if ('hub' in scope || 'namespace' in body) return body;
  return { ...body, namespace: scope.namespace };
}

/**
 * Encodes a request, or refuses it as the caller's bad input. Protobuf's encoder would silently
 * turn a lone UTF-16 surrogate into U+FFFD (so `base:a\ud800` would log in as `a\uFFFD`, a
 * different credential than the client sent) and throws on an int64 that is not a safe integer
 * (`1e308`, `1.5`); both are refused here with the field named, before anything is sent.
 */
function encodeRequest(def: MethodDef, request: object): Buffer {
  const badText = illFormedTextPath(request);
  if (badText !== null) throw new AppError('invalid_argument', `Invalid text in ${badText}: not well-formed Unicode`);
  try {
    return def.requestSerialize(request);
  } catch (err) {
    throw new AppError('invalid_argument', 'Invalid request: a number is out of range for its field', { cause: err });
  }
}

/** A transport failure as an AppError with a fixed client-safe text; grpc-js's own text stays in the cause. */
function transportError(err: unknown): AppError {
  const mapped = fromGrpcError(err);
  const text = TRANSPORT_TEXT[mapped.code];
  return text === undefined ? mapped : new AppError(mapped.code, text, { cause: err, details: mapped.details });
}
