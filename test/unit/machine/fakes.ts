import type { EntityEventInput, EventSink } from '../../../lib/events/publisher.js';
import type { Namespace } from '../../../lib/namespace.js';
import { pino } from 'pino';
import type { MachineStore } from '../../../services/machine/store.js';

export const silentLog = pino({ level: 'silent' });

export const ns = (s: string) => s as Namespace;

/** Records every published event; `failing` makes publish reject (the domain must not care). */
export class RecordingSink implements EventSink {
  readonly events: { ns: Namespace; input: EntityEventInput }[] = [];
  failing = false;

  async publish(n: Namespace, input: EntityEventInput): Promise<void> {
    if (this.failing) throw new Error('nats down');
    this.events.push({ ns: n, input });
  }

  clear(): void {
    this.events.length = 0;
  }
}

const WRITES = new Set(['setHealth', 'insert', 'cas', 'setActive', 'adminDelete', 'adminTransfer']);

/** Wraps a store and counts calls to its writing methods. */
export function countingStore(inner: MachineStore): { store: MachineStore; writes: () => number; reset: () => void } {
  let writes = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (WRITES.has(String(prop))) writes++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, writes: () => writes, reset: () => (writes = 0) };
}

/** A clock tests move by hand. */
export function manualClock(start = 1_795_618_452_423) {
  let t = start;
  return { now: () => t, tick: (ms = 1) => (t += ms) };
}
