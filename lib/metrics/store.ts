import { hubMetrics } from './registry.js';

/**
 * The store with each method call timed (`teamhub_store_operation_seconds{operation}`). The
 * operation label is the method's name, so it is as bounded as the store interface. A method
 * that answers synchronously is timed too; properties that are not functions pass through.
 */
export function measureStore<S extends object>(store: S): S {
  const m = hubMetrics();
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const ok = m.storeDuration.labels(prop, 'ok');
        const failed = m.storeDuration.labels(prop, 'error');
        const method = value as (...args: unknown[]) => unknown;
        fn = function (this: unknown, ...args: unknown[]) {
          const started = process.hrtime.bigint();
          const done = (h: typeof ok) => h.observe(Number(process.hrtime.bigint() - started) / 1e9);
          let out: unknown;
          try {
            out = method.apply(target, args);
          } catch (err) {
            done(failed);
            throw err;
          }
          if (out instanceof Promise) {
            return out.then(
              (v: unknown) => {
                done(ok);
                return v;
              },
              (err: unknown) => {
                done(failed);
                throw err;
              },
            );
          }
          done(ok);
          return out;
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
