import { hubMetrics } from './registry.js';

/** One event published (or not): entity and kind are the domain words of its subject. */
export function countPublished(entity: string, kind: string, ok: boolean): void {
  hubMetrics().eventsPublished.inc({ entity, kind, result: ok ? 'ok' : 'failed' });
}

/**
 * One event handed to clients on `surface`, `at` being the time (ms) the writing service stamped
 * on it: the lag is how long it took from the write to this delivery.
 */
export function countDelivered(surface: 'socket' | 'sse', at: number | bigint | undefined): void {
  const m = hubMetrics();
  m.eventsDelivered.inc({ surface });
  const stamped = Number(at);
  if (stamped > 0) m.deliveryLag.observe({ surface }, Math.max(0, (Date.now() - stamped) / 1000));
}
