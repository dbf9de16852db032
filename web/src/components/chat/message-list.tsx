import { useEffect, useRef, useState } from 'preact/hooks';
import type { Row } from '../../lib/chat/conversation.js';
import { deliveryOf, type Delivery } from '../../lib/message-store.js';
import { clockTime } from '../../lib/session-view.js';
import type { Outgoing } from '../../lib/use-session.js';
import { useNow } from '../use-now.js';
import { AgentItems } from './tool-card.js';

export interface QueueActions {
  cancel(messageId: string): Promise<void>;
  steer(messageId: string): Promise<void>;
  retry(messageId: string): Promise<void>;
  canSteer: boolean;
}

interface Props {
  rows: Row[];
  outgoing: Record<string, Outgoing>;
  hasMore: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  queue: QueueActions;
}

function deliveryText(d: Delivery): string | null {
  if (!d) return null;
  switch (d.kind) {
    case 'sending':
      return 'Sending…';
    case 'failed':
      return `Not sent: ${d.error}`;
    case 'scheduled':
      return `Scheduled for ${new Date(d.at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}`;
    case 'queued':
      return 'Queued: waiting for the agent';
    case 'unknown':
      return 'Delivery unknown: the agent may not have it';
    case 'delivered':
      return d.steered ? 'Delivered (steered into the running turn)' : 'Delivered';
  }
}

function QueueButtons({ messageId, delivery, queue }: { messageId: string; delivery: Delivery; queue: QueueActions }) {
  const [busy, setBusy] = useState(false);
  if (!delivery || !['queued', 'scheduled', 'unknown'].includes(delivery.kind) || messageId.startsWith('local-')) return null;
  const run = (fn: () => Promise<void>) => async () => {
    setBusy(true);
    try {
      await fn();
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="queue-actions">
      {delivery.kind === 'unknown' && (
        <button type="button" class="btn btn-small btn-secondary" disabled={busy} onClick={run(() => queue.retry(messageId))}>
          Retry
        </button>
      )}
      {delivery.kind === 'queued' && queue.canSteer && (
        <button type="button" class="btn btn-small btn-secondary" disabled={busy} onClick={run(() => queue.steer(messageId))}>
          Steer now
        </button>
      )}
      <button type="button" class="btn btn-small btn-quiet" disabled={busy} onClick={run(() => queue.cancel(messageId))}>
        Cancel<span class="sr-only"> this message</span>
      </button>
    </span>
  );
}

function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The conversation, oldest first, with "Load older messages" at the top. */
export function MessageList({ rows, outgoing, hasMore, loadingOlder, onLoadOlder, queue }: Props) {
  const now = useNow();
  useFollowNewest(rows);
  return (
    <section class="messages" aria-labelledby="messages-title">
      <h2 id="messages-title" class="sr-only">
        Messages
      </h2>
      {hasMore && (
        <button type="button" class="btn btn-secondary btn-block" onClick={onLoadOlder} disabled={loadingOlder}>
          {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
        </button>
      )}
      {rows.length === 0 ? (
        <p class="muted empty-chat">No messages yet. Send the first one below.</p>
      ) : (
        <ol class="chat" aria-label="Conversation" data-testid="messages">
          {rows.map((r, i) => {
            const time = <time dateTime={new Date(r.message.createdAt).toISOString()}>{clockTime(r.message.createdAt)}</time>;
            if (r.kind === 'event') {
              return (
                <li key={r.key} class={`msg msg-event${r.tone === 'warn' ? ' msg-warn' : ''}`}>
                  <p class="msg-text">
                    {r.text} {time}
                  </p>
                </li>
              );
            }
            if (r.kind === 'agent') {
              // Consecutive agent messages read as one turn: the name is said once.
              const prev = rows[i - 1];
              const cont = prev?.kind === 'agent' && r.message.createdAt - prev.message.createdAt < 5 * 60_000;
              return (
                <li key={r.key} class={`msg msg-agent${cont ? ' msg-cont' : ''}`}>
                  <p class={`msg-head${cont ? ' sr-only' : ''}`}>
                    <span class="msg-who">Agent</span>
                    {time}
                  </p>
                  <AgentItems items={r.items} />
                </li>
              );
            }
            const out = r.message.localId ? outgoing[r.message.localId] : undefined;
            const delivery = deliveryOf(r.message, out, now);
            const text = deliveryText(delivery);
            return (
              <li key={r.key} class={`msg msg-you${delivery?.kind === 'scheduled' ? ' msg-scheduled' : ''}`} data-delivery={delivery?.kind}>
                <p class="msg-head">
                  <span class="msg-who">You</span>
                  {time}
                </p>
                <p class="msg-text">{r.text}</p>
                {r.attachments.length > 0 && (
                  <ul class="attachments" aria-label="Attachments">
                    {r.attachments.map((a) => (
                      <li key={a.id} class="chip">
                        📎 {a.filename} <span class="muted">({sizeText(a.size)})</span>
                      </li>
                    ))}
                  </ul>
                )}
                {text && (
                  <p class={`msg-state${delivery?.kind === 'failed' || delivery?.kind === 'unknown' ? ' error' : ''}`}>
                    {text}
                    <QueueButtons messageId={r.message.id} delivery={delivery} queue={queue} />
                  </p>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/**
 * Opens the conversation at its newest message, and follows new ones while the reader is at the
 * end (not while they read back through older ones).
 */
function useFollowNewest(rows: Row[]): void {
  const last = rows[rows.length - 1]?.key;
  const seen = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!last || last === seen.current) return;
    const first = seen.current === undefined;
    seen.current = last;
    const fromBottom = document.documentElement.scrollHeight - window.scrollY - window.innerHeight;
    if (first || fromBottom < 400) window.scrollTo(0, document.documentElement.scrollHeight);
  }, [last]);
}
