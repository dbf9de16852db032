import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Socket } from 'socket.io';
import { RpcReply, RpcRequest } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { rpcSubject } from '../../lib/nats/subjects.js';
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

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly defaultTimeoutMs: number,
  ) {}

  register(socket: Socket, ns: Namespace, scopeId: string, method: string): void {
    const key = `${ns}\n${scopeId}:${method}`;
    const old = this.regs.get(key);
    if (old?.socket === socket) return;
    old?.sub.unsubscribe();
    const sub = this.nc.subscribe(rpcSubject(ns, scopeId, method), {
      queue: 'rpc',
      callback: (err, msg) => {
        if (err) return;
        void this.answer(socket, ns, scopeId, method, msg.subject, msg.data).then((reply) => msg.respond(RpcReply.encode(reply).finish()));
      },
    });
    this.regs.set(key, { socket, sub });
  }

  unregister(socket: Socket, ns: Namespace, fullMethod: string): void {
    const key = `${ns}\n${fullMethod}`;
    const reg = this.regs.get(key);
    if (reg?.socket !== socket) return;
    reg.sub.unsubscribe();
    this.regs.delete(key);
  }

  /** Drops every registration of a disconnected socket. */
  dropSocket(socket: Socket): void {
    for (const [key, reg] of this.regs) {
      if (reg.socket !== socket) continue;
      reg.sub.unsubscribe();
      this.regs.delete(key);
    }
  }

  private async answer(socket: Socket, ns: Namespace, scopeId: string, method: string, subject: string, data: Uint8Array): Promise<RpcReply> {
    const req = checkedPayload(subject, data, (b) => RpcRequest.decode(b), ns, this.log);
    const base = { namespace: ns, ok: false, resultJson: '', errorCode: '', errorMessage: '' };
    if (!req || req.scopeId !== scopeId || req.method !== method) return { ...base, errorCode: 'invalid', errorMessage: 'bad request' };
    if (!socket.connected) return { ...base, errorCode: 'rpc_target_missing', errorMessage: 'socket-disconnected' };
    const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : this.defaultTimeoutMs;
    try {
      const ack: unknown = await socket.timeout(timeoutMs).emitWithAck('rpc-request', { method: `${scopeId}:${method}`, params: req.paramsJson });
      return { ...base, ok: true, resultJson: typeof ack === 'string' ? ack : JSON.stringify(ack ?? null) };
    } catch {
      return { ...base, errorCode: socket.connected ? 'timeout' : 'rpc_target_missing', errorMessage: 'no ack' };
    }
  }

  /** Calls `<scopeId>:<method>` wherever it is registered; resolves with the parsed ack. */
  call(ns: Namespace, scopeId: string, method: string, params: unknown, timeoutMs = this.defaultTimeoutMs): Promise<unknown> {
    return requestRpc(this.nc, ns, scopeId, method, params, timeoutMs);
  }
}
