import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AppError } from '../../lib/errors.js';
import type { Socket } from 'socket.io';
import { RpcReply, RpcRequest } from '../../lib/gen/teamhub/rpc/v1/rpc.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { rpcSubject } from '../../lib/nats/subjects.js';
import type { RpcBlobs } from '../../lib/rpc/rpc-blobs.js';
import { requestRpc } from '../../lib/rpc/rpc-request.js';

interface Registration {
  socket: Socket;
  sub: Subscription;
}

/**
 * HAPI's RPC relay across replicas: a socket's `rpc-register <scopeId>:<method>` subscribes this
 * replica to `rpcSubject(ns, scopeId, method)` (one queue group, so one socket answers); `call`
 * is a NATS request to that subject from any replica (`lib/rpc/rpc-request.ts`).
 */
export class RpcRouter {
  /** `<ns>\n<scopeId>:<method>` → the local socket that holds it. */
  private readonly regs = new Map<string, Registration>();
  /** The keys each socket holds: one NATS subscription each, so a socket's count is bounded. */
  private readonly bySocket = new Map<Socket, Set<string>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly defaultTimeoutMs: number,
    private readonly blobs: RpcBlobs,
    private readonly maxMethodsPerSocket = 256,
  ) {}

  /**
   * Routes `<scopeId>:<method>` of `ns` to this socket. Throws AppError('resource_exhausted') when
   * the socket already holds `maxMethodsPerSocket` methods: a real CLI or runner registers a few
   * dozen, and each registration costs a subscription on the bus.
   */
  register(socket: Socket, ns: Namespace, scopeId: string, method: string): void {
    const key = `${ns}\n${scopeId}:${method}`;
    const old = this.regs.get(key);
    if (old?.socket === socket) return;
    const mine = this.bySocket.get(socket);
    if ((mine?.size ?? 0) >= this.maxMethodsPerSocket) {
      throw new AppError('resource_exhausted', `Too many RPC methods registered on this socket (at most ${this.maxMethodsPerSocket})`);
    }
    if (old) this.forget(old.socket, key);
    old?.sub.unsubscribe();
    const sub = this.nc.subscribe(rpcSubject(ns, scopeId, method), {
      queue: 'rpc',
      callback: (err, msg) => {
        if (err) return;
        void this.answer(socket, ns, scopeId, method, msg.subject, msg.data).then((reply) => msg.respond(RpcReply.encode(reply).finish()));
      },
    });
    this.regs.set(key, { socket, sub });
    let set = this.bySocket.get(socket);
    if (!set) this.bySocket.set(socket, (set = new Set()));
    set.add(key);
  }

  unregister(socket: Socket, ns: Namespace, fullMethod: string): void {
    const key = `${ns}\n${fullMethod}`;
    const reg = this.regs.get(key);
    if (reg?.socket !== socket) return;
    reg.sub.unsubscribe();
    this.regs.delete(key);
    this.forget(socket, key);
  }

  /** Drops every registration of a disconnected socket. */
  dropSocket(socket: Socket): void {
    for (const key of this.bySocket.get(socket) ?? []) {
      const reg = this.regs.get(key);
      if (reg?.socket !== socket) continue;
      reg.sub.unsubscribe();
      this.regs.delete(key);
    }
    this.bySocket.delete(socket);
  }

  /** Methods a socket holds (tests). */
  countOf(socket: Socket): number {
    return this.bySocket.get(socket)?.size ?? 0;
  }

  private forget(socket: Socket, key: string): void {
    const set = this.bySocket.get(socket);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.bySocket.delete(socket);
  }

  private async answer(socket: Socket, ns: Namespace, scopeId: string, method: string, subject: string, data: Uint8Array): Promise<RpcReply> {
    const req = checkedPayload(subject, data, (b) => RpcRequest.decode(b), ns, this.log);
    const base = { namespace: ns, ok: false, resultJson: '', errorCode: '', errorMessage: '', resultBlob: '' };
    if (!req || req.scopeId !== scopeId || req.method !== method) return { ...base, errorCode: 'invalid', errorMessage: 'bad request' };
    if (!socket.connected) return { ...base, errorCode: 'rpc_target_missing', errorMessage: 'socket-disconnected' };
    const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : this.defaultTimeoutMs;
    let params = req.paramsJson;
    if (req.paramsBlob) {
      const taken = await this.blobs.take(req.paramsBlob).catch(() => null);
      if (taken === null) return { ...base, errorCode: 'invalid', errorMessage: 'params payload missing' };
      params = taken;
    }
    let ack: unknown;
    try {
      ack = await socket.timeout(timeoutMs).emitWithAck('rpc-request', { method: `${scopeId}:${method}`, params });
    } catch {
      return { ...base, errorCode: socket.connected ? 'timeout' : 'rpc_target_missing', errorMessage: 'no ack' };
    }
    const resultJson = typeof ack === 'string' ? ack : JSON.stringify(ack ?? null);
    if (!this.blobs.tooLarge(resultJson)) return { ...base, ok: true, resultJson };
    try {
      return { ...base, ok: true, resultBlob: await this.blobs.put(resultJson) };
    } catch (err) {
      this.log.warn({ err, method }, 'rpc answer too large to relay');
      return { ...base, errorCode: 'too_large', errorMessage: 'answer too large' };
    }
  }

  /** Calls `<scopeId>:<method>` wherever it is registered; resolves with the parsed ack. */
  call(ns: Namespace, scopeId: string, method: string, params: unknown, timeoutMs = this.defaultTimeoutMs): Promise<unknown> {
    return requestRpc(this.nc, ns, scopeId, method, params, timeoutMs, this.blobs);
  }
}
