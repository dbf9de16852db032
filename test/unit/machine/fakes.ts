import type { Namespace } from '../../../lib/namespace.js';
import { parseNamespace } from '../../../lib/namespace.js';
import type { MachineStore } from '../../../services/machine/store.js';
import { RecordingSink, silentLog } from '../call-context.js';

export { RecordingSink, silentLog };

export const ns = (s: string): Namespace => parseNamespace(s);

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
