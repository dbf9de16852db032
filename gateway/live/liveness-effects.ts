import { namespaceContext, type CallContext } from '../../lib/context.js';
import { toJsonText } from '../../lib/json.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import type { ServiceClients } from '../deps.js';
import type { LivenessEffects } from './liveness.js';
import type { LiveRecord, ReplicaLeases } from './replica-leases.js';
import type { LivenessKind } from './socket-context.js';

/** Store writes for liveness transitions (the services publish the resulting events). */
export async function setActive(clients: ServiceClients, kind: LivenessKind, ctx: CallContext, id: string, active: boolean, at: number, extra?: Record<string, unknown>): Promise<void> {
  if (kind === 'session') {
    await clients.session.call('setSessionActive', { id, active, at }, ctx);
  } else {
    await clients.machine.call('setMachineActive', { id, active, at, healthJson: active ? toJsonText(extra?.health) : undefined }, ctx);
  }
}

/** A dead replica's entity, marked inactive by the sweeper (a call of its own, with its own request id). */
export function markDeadInactive(clients: ServiceClients, log: Logger, clock: () => number = Date.now): (rec: LiveRecord) => Promise<void> {
  return (rec) => setActive(clients, rec.kind, namespaceContext(log, rec.namespace), rec.id, false, clock());
}

/**
 * The real effects: service calls (the services write and publish) and KV ownership. Each
 * transition is a call of its own: a timer or a heartbeat causes it, not a client request, so it
 * gets a fresh request id and a logger bound to the entity's namespace.
 */
export function liveEffects(clients: ServiceClients, leases: () => ReplicaLeases, log: Logger): LivenessEffects {
  const ctxOf = (ns: Namespace) => namespaceContext(log, ns);
  return {
    async activate(kind, ns, id, at, extra) {
      // Claim first: if this replica dies right after the store says active, the sweeper knows.
      await leases().claim(kind, ns, id);
      await setActive(clients, kind, ctxOf(ns), id, true, at, extra);
    },
    async expire(kind, ns, id, at) {
      // A socket that moved to another live replica keeps the entity active there.
      if (await leases().ownedElsewhere(kind, ns, id)) return;
      await setActive(clients, kind, ctxOf(ns), id, false, at);
      await leases().release(kind, ns, id);
    },
    async end(kind, ns, id, at) {
      await setActive(clients, kind, ctxOf(ns), id, false, at);
      await leases().release(kind, ns, id);
    },
    async thinking(ns, id, thinking, at) {
      // The session service owns `thinking` too, so every full session event it sends agrees.
      await clients.session.call('setSessionThinking', { id, thinking, at }, ctxOf(ns));
    },
  };
}
