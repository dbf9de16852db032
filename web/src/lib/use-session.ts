import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText, useHub } from './hub.js';
import type { SendBody } from './api.js';
import type { Attachment } from './chat/normalize.js';
import { applyAfter, applyLatest, applyLive, applyOlder, catchUpQuery, EMPTY, olderQuery, removeMessage, updateByLocalIds, type MessageState } from './message-store.js';
import { applySessionPatch } from './session-view.js';
import type { Message, Session } from './types.js';
import { uuid } from './uuid.js';

export interface Outgoing {
  state: 'sending' | 'sent' | 'failed';
  error?: string;
}

export interface SendOptions {
  attachments?: Attachment[];
  scheduledAt?: number;
  deliveryMode?: 'queue' | 'steer';
}

/** One session and its messages, kept current from the SSE stream; sending with optimistic rows. */
export function useSession(id: string) {
  const hub = useHub();
  const [session, setSession] = useState<Session | null>(null);
  const [state, setState] = useState<MessageState>(EMPTY);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outgoing, setOutgoing] = useState<Record<string, Outgoing>>({});
  const alive = useRef(true);
  const current = useRef(state);
  current.current = state;

  const loadLatest = async (replace = false) => {
    try {
      const [s, m] = await Promise.all([hub.api.session(id), hub.api.messages(id)]);
      if (!alive.current) return;
      setSession(s.session);
      setState((cur) => applyLatest(cur, m, replace));
      setError(null);
    } catch (err) {
      if (alive.current) setError(errorText(err));
    }
  };

  // After a reconnect: fetch only what came after the newest known message when the hub's cursor
  // allows it (HAPI's afterSeq/afterAt/epoch), else the newest page again.
  const catchUp = async () => {
    const q = catchUpQuery(current.current);
    if (!q) return loadLatest();
    try {
      const [s, m] = await Promise.all([hub.api.session(id), hub.api.messages(id, { ...q, limit: '200' })]);
      if (!alive.current) return;
      setSession(s.session);
      setState((cur) => applyAfter(cur, m));
    } catch (err) {
      if (alive.current) setError(errorText(err));
    }
  };

  useEffect(() => {
    alive.current = true;
    setState(EMPTY);
    void loadLatest();
    const off = hub.live.on((ev, resume) => {
      if (ev.type === 'connection-changed') {
        if (resume !== 'first') void catchUp();
        return;
      }
      if (ev.sessionId !== id) return;
      switch (ev.type) {
        case 'message-received':
          if (ev.message) {
            const msg = ev.message;
            setState((cur) => applyLive(cur, msg));
          }
          break;
        case 'session-updated':
        case 'session-added':
          setSession((cur) => (cur ? applySessionPatch(cur, (ev.data ?? {}) as Record<string, unknown>) : cur));
          break;
        case 'session-ended':
          setSession((cur) => (cur ? { ...cur, active: false, thinking: false } : cur));
          break;
        case 'messages-consumed':
          setState((cur) => updateByLocalIds(cur, ev.localIds ?? [], (m) => ({ ...m, invokedAt: ev.invokedAt ?? Date.now(), steered: ev.steered === true || (m as Message).steered, deliveryState: undefined })));
          break;
        case 'messages-requeued':
          setState((cur) => updateByLocalIds(cur, ev.localIds ?? [], (m) => ({ ...m, invokedAt: null, deliveryState: undefined })));
          break;
        case 'messages-indeterminate':
          setState((cur) => updateByLocalIds(cur, ev.localIds ?? [], (m) => ({ ...m, deliveryState: 'indeterminate' })));
          break;
        case 'message-cancelled':
          if (ev.messageId) {
            const mid = ev.messageId;
            setState((cur) => removeMessage(cur, mid, ev.localId));
          }
          break;
        case 'scheduled-matured':
          void catchUp();
          break;
        case 'messages-invalidated':
          void loadLatest(true);
          break;
        case 'session-removed':
          setError('This session was removed.');
          break;
      }
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [hub, id]);

  const loadOlder = async () => {
    const q = olderQuery(current.current);
    if (!q || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const m = await hub.api.messages(id, q);
      setState((cur) => applyOlder(cur, m));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoadingOlder(false);
    }
  };

  const send = async (text: string, opts: SendOptions = {}): Promise<boolean> => {
    const localId = uuid();
    const now = Date.now();
    const content: Record<string, unknown> = { type: 'text', text };
    if (opts.attachments?.length) content.attachments = opts.attachments;
    const row: Message = { id: `local-${localId}`, seq: null, localId, content: { role: 'user', content }, createdAt: now, invokedAt: null, scheduledAt: opts.scheduledAt ?? null };
    setOutgoing((o) => ({ ...o, [localId]: { state: 'sending' } }));
    setState((cur) => applyLive(cur, row));
    const body: SendBody = { text, localId };
    if (opts.attachments?.length) body.attachments = opts.attachments;
    if (opts.scheduledAt) body.scheduledAt = opts.scheduledAt;
    if (opts.deliveryMode) body.deliveryMode = opts.deliveryMode;
    try {
      await hub.api.sendMessage(id, body);
      setOutgoing((o) => ({ ...o, [localId]: { state: 'sent' } }));
      return true;
    } catch (err) {
      setOutgoing((o) => ({ ...o, [localId]: { state: 'failed', error: errorText(err) } }));
      return false;
    }
  };

  return { session, setSession, state, loadingOlder, loadOlder, error, setError, send, outgoing, reload: () => loadLatest() };
}
