import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, useHub } from './hub.js';
import { applySessionPatch, mergeMessages } from './session-view.js';
import type { Message, Session } from './types.js';
import { uuid } from './uuid.js';

export interface Outgoing {
  state: 'sending' | 'sent' | 'failed';
  error?: string;
}

/** One session and its messages, kept current from the SSE stream; sending with optimistic rows. */
export function useSession(id: string) {
  const hub = useHub();
  const [session, setSession] = useState<Session | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [older, setOlder] = useState<{ hasMore: boolean; before: number | null; loading: boolean }>({ hasMore: false, before: null, loading: false });
  const [error, setError] = useState<string | null>(null);
  const [outgoing, setOutgoing] = useState<Record<string, Outgoing>>({});
  const alive = useRef(true);

  const load = async () => {
    try {
      const [s, m] = await Promise.all([hub.api.session(id), hub.api.messages(id)]);
      if (!alive.current) return;
      setSession(s.session);
      setMessages((cur) => mergeMessages(cur, m.messages));
      setOlder({ hasMore: m.page.hasMore, before: m.page.nextBeforeSeq, loading: false });
      setError(null);
    } catch (err) {
      if (alive.current) setError(errorText(err));
    }
  };

  useEffect(() => {
    alive.current = true;
    void load();
    const off = hub.live.on((ev) => {
      if (ev.type === 'connection-changed') return void load();
      if (ev.sessionId !== id) return;
      if (ev.type === 'message-received' && ev.message) {
        const msg = ev.message;
        setMessages((cur) => mergeMessages(cur, [msg]));
      } else if (ev.type === 'session-updated' || ev.type === 'session-added') {
        setSession((cur) => (cur ? applySessionPatch(cur, (ev.data ?? {}) as Record<string, unknown>) : cur));
      } else if (ev.type === 'session-ended') {
        setSession((cur) => (cur ? { ...cur, active: false, thinking: false } : cur));
      } else if (ev.type === 'messages-consumed' && ev.localIds) {
        const ids = new Set(ev.localIds);
        setMessages((cur) => cur.map((m) => (m.localId && ids.has(m.localId) ? { ...m, invokedAt: ev.invokedAt ?? Date.now() } : m)));
      } else if (ev.type === 'session-removed') {
        setError('This session was removed.');
      }
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [hub, id]);

  const loadOlder = async () => {
    if (older.before == null) return;
    setOlder((o) => ({ ...o, loading: true }));
    try {
      const m = await hub.api.messages(id, older.before);
      setMessages((cur) => mergeMessages(cur, m.messages));
      setOlder({ hasMore: m.page.hasMore, before: m.page.nextBeforeSeq, loading: false });
    } catch (err) {
      setOlder((o) => ({ ...o, loading: false }));
      setError(errorText(err));
    }
  };

  const send = async (text: string): Promise<boolean> => {
    const localId = uuid();
    const now = Date.now();
    const row: Message = { id: `local-${localId}`, seq: Number.MAX_SAFE_INTEGER, localId, content: { role: 'user', content: { type: 'text', text } }, createdAt: now, invokedAt: null };
    setOutgoing((o) => ({ ...o, [localId]: { state: 'sending' } }));
    setMessages((cur) => mergeMessages(cur, [row]));
    try {
      await hub.api.sendMessage(id, text, localId);
      setOutgoing((o) => ({ ...o, [localId]: { state: 'sent' } }));
      return true;
    } catch (err) {
      setOutgoing((o) => ({ ...o, [localId]: { state: 'failed', error: errorText(err) } }));
      return false;
    }
  };

  return { session, setSession, messages, older, loadOlder, error, send, outgoing, reload: load };
}
