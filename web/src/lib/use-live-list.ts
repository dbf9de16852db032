import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, type Hub } from './hub.js';
import { applySessionPatch, sortSessions } from './session-view.js';
import type { Machine, Session, SyncEvent } from './types.js';

export interface LiveList<T> {
  items: T[];
  loading: boolean;
  error: string | null;
  reload: () => void;
}

/**
 * A list fetched once, kept current from the SSE stream (`apply`), and refetched (debounced)
 * after every reconnect and every event of its kind, so a missed or partial event heals itself.
 */
function useLiveList<T>(hub: Hub, fetch: () => Promise<T[]>, kinds: string[], apply: (items: T[], ev: SyncEvent) => T[]): LiveList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const alive = useRef(true);

  const load = () => {
    fetch().then(
      (list) => alive.current && (setItems(list), setError(null), setLoading(false)),
      (err) => alive.current && (setError(errorText(err)), setLoading(false)),
    );
  };
  const later = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(load, 400);
  };

  useEffect(() => {
    alive.current = true;
    load();
    const off = hub.live.on((ev) => {
      if (ev.type === 'connection-changed') return later();
      if (!kinds.includes(ev.type)) return;
      setItems((cur) => apply(cur, ev));
      if (ev.type !== 'message-received') later();
    });
    return () => {
      alive.current = false;
      clearTimeout(timer.current);
      off();
    };
  }, [hub]);

  return { items, loading, error, reload: load };
}

function applySessionEvent(list: Session[], ev: SyncEvent): Session[] {
  const id = ev.sessionId;
  if (!id) return list;
  if (ev.type === 'session-removed') return list.filter((s) => s.id !== id);
  const data = ev.data as Record<string, unknown> | undefined;
  if (ev.type === 'session-added' || ev.type === 'session-updated') {
    const i = list.findIndex((s) => s.id === id);
    if (i < 0) return data && 'id' in data ? sortSessions([...list, data as unknown as Session]) : list;
    const next = [...list];
    next[i] = applySessionPatch(list[i]!, data ?? {});
    return sortSessions(next);
  }
  if (ev.type === 'session-ended') return list.map((s) => (s.id === id ? { ...s, active: false, thinking: false } : s));
  if (ev.type === 'message-received') return list.map((s) => (s.id === id ? { ...s, updatedAt: Date.now() } : s));
  return list;
}

const SESSION_EVENTS = ['session-added', 'session-updated', 'session-removed', 'session-ended', 'message-received'];

export function useSessions(hub: Hub): LiveList<Session> {
  return useLiveList(hub, async () => sortSessions((await hub.api.sessions()).sessions), SESSION_EVENTS, applySessionEvent);
}

function applyMachineEvent(list: Machine[], ev: SyncEvent): Machine[] {
  const data = ev.data as (Partial<Machine> & { id?: string }) | null | undefined;
  const id = ev.machineId ?? data?.id;
  if (!id) return list;
  if (!data) return list.filter((m) => m.id !== id);
  const i = list.findIndex((m) => m.id === id);
  if (i < 0) return data.id && data.active !== false ? [...list, data as Machine] : list;
  const merged = { ...list[i]!, ...data };
  return merged.active === false ? list.filter((m) => m.id !== id) : list.map((m, j) => (j === i ? merged : m));
}

export function useMachines(hub: Hub): LiveList<Machine> {
  return useLiveList(hub, async () => (await hub.api.machines()).machines, ['machine-updated'], applyMachineEvent);
}
