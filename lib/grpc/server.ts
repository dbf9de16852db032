import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { AppError, toGrpcStatus } from '../errors.js';
import { constantTimeEquals } from '../access-token.js';
import { isNamespace, type Namespace } from '../namespace.js';
import type { AnyCallContext, CallContext, HubCallContext } from '../context.js';
import type { Logger } from '../logger.js';
import { MD_NAMESPACE, MD_REQUEST_ID, MD_SCOPE, MD_SECRET } from './metadata.js';
import { measureServerUnary } from '../metrics/grpc.js';
import { traceServerUnary } from '../tracing/grpc.js';

/*
 * Handlers receive the caller's context (lib/context.ts), rebuilt from the call metadata: a
 * `CallContext` for a namespaced call, a `HubCallContext` for a hub-scoped one (its `namespace`
 * set when the caller also sent one), either for a handler serving both (`isHubContext` tells).
 */
type EitherContext = AnyCallContext;
type NamespacedFn<Req, Res> = (req: Req, ctx: CallContext) => Promise<Res>;
type HubFn<Req, Res> = (req: Req, ctx: HubCallContext) => Promise<Res>;
type EitherFn<Req, Res> = (req: Req, ctx: AnyCallContext) => Promise<Res>;

export type Handler<Req, Res> =
  | { scope: 'namespace'; fn: NamespacedFn<Req, Res> }
  | { scope: 'hub'; fn: HubFn<Req, Res> }
  | { scope: 'either'; fn: EitherFn<Req, Res> };

/** A handler that requires a namespace in metadata (and in the body's `namespace` field when it has one). */
export function namespaced<Req, Res>(fn: NamespacedFn<Req, Res>): Handler<Req, Res> {
  return { scope: 'namespace', fn };
}

/** A handler for hub-wide calls (token resolution, administration); needs `teamhub-scope: hub`. */
export function hubScoped<Req, Res>(fn: HubFn<Req, Res>): Handler<Req, Res> {
  return { scope: 'hub', fn };
}

/**
 * A handler that serves both kinds of call (e.g. an audit listing: a namespace sees its own
 * entries, the hub sees all). Without `teamhub-scope: hub` it is checked exactly like
 * `namespaced` (namespace required, body namespace must match); with it, like `hubScoped`.
 */
export function namespacedOrHub<Req, Res>(fn: EitherFn<Req, Res>): Handler<Req, Res> {
  return { scope: 'either', fn };
}

type UnaryDef = { path: string; requestStream: boolean; responseStream: boolean; requestDeserialize: (b: Buffer) => any };
type ReqOf<M> = M extends { requestDeserialize: (b: Buffer) => infer R } ? R : never;
type ResOf<M> = M extends { responseSerialize: (v: infer R) => Buffer } ? R : never;

/** Handlers for every method of a generated ts-proto service definition. */
export type ServiceHandlers<D> = { [K in keyof D]: Handler<ReqOf<D[K]>, ResOf<D[K]>> };

export interface ServiceRegistration<D extends grpc.ServiceDefinition> {
  definition: D;
  handlers: ServiceHandlers<D>;
}

export function service<D extends grpc.ServiceDefinition>(definition: D, handlers: ServiceHandlers<D>): ServiceRegistration<D> {
  return { definition, handlers };
}

function metadataString(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/** Checks the internal credential and scope, and builds the call context; throws AppError. */
function authenticateCall(md: grpc.Metadata, scope: 'namespace' | 'hub', secret: string, log: Logger, method: string): EitherContext {
  const requestId = metadataString(md, MD_REQUEST_ID) ?? 'none';
  const presented = metadataString(md, MD_SECRET);
  if (!presented || !constantTimeEquals(presented, secret)) {
    log.warn({ method, reqId: requestId }, 'internal call refused: missing or wrong internal credential');
    throw new AppError('unauthenticated', 'internal credential required');
  }
  const raw = md.get(MD_NAMESPACE)[0];
  let namespace: Namespace | undefined;
  if (raw !== undefined) {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    if (!isNamespace(text)) {
      log.warn({ method, reqId: requestId }, 'internal call refused: malformed namespace');
      throw new AppError('invalid_argument', 'malformed namespace in metadata');
    }
    namespace = text;
  }
  const callLog = log.child({ ns: namespace, reqId: requestId, method });
  if (scope === 'hub') {
    if (metadataString(md, MD_SCOPE) !== 'hub') {
      callLog.warn('internal call refused: hub scope not declared');
      throw new AppError('unauthenticated', 'hub scope required in call metadata');
    }
    return namespace === undefined ? { hub: true, requestId, log: callLog } : { hub: true, namespace, requestId, log: callLog };
  }
  if (namespace === undefined) {
    callLog.warn('internal call refused: no namespace');
    throw new AppError('unauthenticated', 'namespace required in call metadata');
  }
  return { namespace, requestId, log: callLog };
}

/**
 * Runs a handler's work; a service's composition may wrap every call (its store's unit of work),
 * given the call's request id.
 */
export type AroundCall = <T>(run: () => Promise<T>, requestId: string) => Promise<T>;
const direct: AroundCall = (run) => run();

function wrapUnary(handler: Handler<any, any>, secret: string, log: Logger, method: string, around: AroundCall): grpc.handleUnaryCall<any, any> {
  return (call, callback) => {
    let ctx: EitherContext;
    try {
      const hubDeclared = metadataString(call.metadata, MD_SCOPE) === 'hub';
      const scope = handler.scope === 'either' ? (hubDeclared ? 'hub' : 'namespace') : handler.scope;
      ctx = authenticateCall(call.metadata, scope, secret, log, method);
      const bodyNs = (call.request as { namespace?: unknown })?.namespace;
      if (scope === 'namespace' && typeof bodyNs === 'string' && bodyNs !== '' && bodyNs !== ctx.namespace) {
        ctx.log.warn('internal call refused: body namespace differs from metadata');
        throw new AppError('permission_denied', 'namespace mismatch between body and metadata');
      }
    } catch (err) {
      callback(toGrpcStatus(err) as grpc.ServiceError, null);
      return;
    }
    const run = around(() => (handler.fn as (req: unknown, ctx: EitherContext) => Promise<unknown>)(call.request, ctx), ctx.requestId);
    // One debug line per call (off at the default level) shows which replica served what.
    run.then(
      (res) => {
        ctx.log.debug('call served');
        callback(null, res);
      },
      (err: unknown) => {
        if (!(err instanceof AppError)) ctx.log.error({ err }, 'handler failed');
        else ctx.log.debug({ code: err.code }, 'call answered with an error');
        callback(toGrpcStatus(err) as grpc.ServiceError, null);
      },
    );
  };
}

export interface GrpcServerOptions {
  /** Name reported by the health service, e.g. "teamhub.session.v1.SessionService". */
  healthName: string;
  internalSecret: string;
  log: Logger;
  services: ServiceRegistration<any>[];
  /** Proto files (relative to proto/) to expose through server reflection. */
  reflectionProtos?: string[];
  /** Wraps every handler call (the outbox's unit of work: its writes and events commit together). */
  aroundCall?: AroundCall;
}

export interface BuiltServer {
  server: grpc.Server;
  health: HealthImplementation;
  /** Binds and starts; resolves with the bound port (use port 0 for a free one). */
  listen(address: string): Promise<number>;
  /** Marks NOT_SERVING, then tryShutdown with a deadline, then forceShutdown. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * The folder holding proto/teamhub, nearest above this code: the repository's proto/ when run
 * from source, dist/proto when compiled (this code may sit in dist/lib/grpc, in a bundled entry
 * such as dist/gateway/main.js, or in a chunk in dist/chunks).
 */
function findProtoRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'proto', 'teamhub'))) return path.join(dir, 'proto');
    if (path.dirname(dir) === dir) throw new Error('cannot find the proto files (no proto/teamhub above the gRPC server code)');
  }
}

/**
 * Server reflection for these proto files. Loaded only when asked for: the parsed descriptors
 * stay in memory for the life of the process (about 8 MiB per service).
 */
function addReflection(server: grpc.Server, protos: string[]): void {
  const require = createRequire(import.meta.url);
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const { ReflectionService } = require('@grpc/reflection') as typeof import('@grpc/reflection');
  new ReflectionService(protoLoader.loadSync(protos, { includeDirs: [findProtoRoot()] })).addToServer(server);
}

export function buildGrpcServer(opts: GrpcServerOptions): BuiltServer {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  for (const reg of opts.services) {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(reg.definition as Record<string, UnaryDef>)) {
      const handler = (reg.handlers as Record<string, Handler<any, any>>)[name];
      if (!handler) throw new Error(`no handler for ${def.path}`);
      // Every call is counted and timed (metrics) and, with tracing on, a span of its caller's trace.
      impl[name] = traceServerUnary(def.path, measureServerUnary(def.path, wrapUnary(handler, opts.internalSecret, opts.log, def.path, opts.aroundCall ?? direct)));
    }
    server.addService(reg.definition, impl);
  }
  const health = new HealthImplementation({ '': 'SERVING', [opts.healthName]: 'SERVING' });
  health.addToServer(server);
  if (opts.reflectionProtos?.length) addReflection(server, opts.reflectionProtos);
  return {
    server,
    health,
    listen: (address) =>
      new Promise((resolve, reject) => {
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
      }),
    stop: (deadlineMs = 5000) =>
      new Promise((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        health.setStatus(opts.healthName, 'NOT_SERVING');
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
