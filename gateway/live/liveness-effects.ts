import { toJsonText } from '../../lib/json.js';
import type { Namespace } from '../../lib/namespace.js';
import type { ServiceClients } from '../deps.js';
import type { LivenessEffects } from './liveness.js';
import type { LiveRecord, ReplicaLeases } from './replica-leases.js';
import type { LivenessKind } from './socket-context.js';

/** Store writes for liveness transitions (the services publish the resulting events). */
export async function setActive(clients: ServiceClients, kind: LivenessKind, ns: Namespace, id: string, active: boolean, at: number, extra?: Record<string, unknown>): Promise<void> {
  const scope = { namespace: ns };
  if (kind === 'session') {
    await clients.session.call('setSessionActive', { namespace: ns, id, active, at }, scope);
  } else {
    await clients.machine.call('setMachineActive', { namespace: ns, id, active, at, healthJson: active ? toJsonText(extra?.health) : undefined }, scope);
  }
}

/** A dead replica's entity, marked inactive by the sweeper. */
export function markDeadInactive(clients: ServiceClients, clock: () => number = Date.now): (rec: LiveRecord) => Promise<void> {
  return (rec) => setActive(clients, rec.kind, rec.namespace, rec.id, false, clock());
}

/** The real effects: service calls (the services write and publish) and KV ownership. */
export function liveEffects(clients: ServiceClients, leases: () => ReplicaLeases): LivenessEffects {
  return {
    async activate(kind, ns, id, at, extra) {
      // Claim first: if this replica dies right after the store says active, the sweeper knows.
      await leases().claim(kind, ns, id);
      await setActive(clients, kind, ns, id, true, at, extra);
    },
    async expire(kind, ns, id, at) {
      // A socket that moved to another live replica keeps the entity active there.
      if (await leases().ownedElsewhere(kind, ns, id)) return;
      await setActive(clients, kind, ns, id, false, at);
      await leases().release(kind, ns, id);
    },
    async end(kind, ns, id, at) {
      await setActive(clients, kind, ns, id, false, at);
      await leases().release(kind, ns, id);
    },
    async thinking(ns, id, thinking, at) {
      // The session service owns `thinking` too, so every full session event it sends agrees.
      await clients.session.call('setSessionThinking', { namespace: ns, id, thinking, at }, { namespace: ns });
    },
  };
}
