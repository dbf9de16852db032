import { clockTime, messageView } from '../lib/session-view.js';
import type { Message } from '../lib/types.js';
import type { Outgoing } from '../lib/use-session.js';

interface Props {
  messages: Message[];
  outgoing: Record<string, Outgoing>;
  hasMore: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
}

const WHO: Record<string, string> = { you: 'You', agent: 'Agent', system: 'Event' };

function deliveryText(m: Message, out: Outgoing | undefined): string | null {
  if (out?.state === 'sending') return 'Sending…';
  if (out?.state === 'failed') return `Not sent: ${out.error ?? 'error'}`;
  if (m.localId && m.invokedAt) return 'Delivered';
  if (m.localId) return 'Waiting for the agent';
  return null;
}

/** The conversation, oldest first, with "Load older messages" at the top. */
export function MessageList({ messages, outgoing, hasMore, loadingOlder, onLoadOlder }: Props) {
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
      {messages.length === 0 ? (
        <p class="muted empty-chat">No messages yet. Send the first one below.</p>
      ) : (
        <ol class="chat" aria-label="Conversation" data-testid="messages">
          {messages.map((m) => {
            const v = messageView(m);
            const out = m.localId ? outgoing[m.localId] : undefined;
            const delivery = v.who === 'you' ? deliveryText(m, out) : null;
            return (
              <li key={m.localId ?? m.id} class={`msg msg-${v.who}${v.kind ? ` msg-${v.kind}` : ''}`}>
                <p class="msg-head">
                  <span class="msg-who">{WHO[v.who]}</span>
                  <time dateTime={new Date(m.createdAt).toISOString()}>{clockTime(m.createdAt)}</time>
                </p>
                <p class="msg-text">{v.text}</p>
                {delivery && <p class={`msg-state${out?.state === 'failed' ? ' error' : ''}`}>{delivery}</p>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
