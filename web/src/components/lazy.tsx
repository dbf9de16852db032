import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

const cache = new Map<() => Promise<unknown>, unknown>();

/** Renders `render(module)` once `load` (a dynamic import: its own chunk) has arrived. */
export function Lazy<M>({ load, render, fallback }: { load: () => Promise<M>; render: (m: M) => ComponentChildren; fallback?: ComponentChildren }) {
  const [mod, setMod] = useState<M | null>((cache.get(load) as M | undefined) ?? null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (mod) return;
    let live = true;
    load().then(
      (m) => {
        cache.set(load, m);
        if (live) setMod(m);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [load]);
  if (failed) {
    return (
      <p class="error" role="alert">
        This part of the page could not be loaded. Check your connection and reload.
      </p>
    );
  }
  return <>{mod ? render(mod) : (fallback ?? <p class="muted" role="status">Loading…</p>)}</>;
}
