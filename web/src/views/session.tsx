import { useEffect, useMemo } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { linkClick, type SessionTab } from '../lib/router.js';
import { pendingCount, sessionTitle } from '../lib/session-view.js';
import { buildConversation } from '../lib/chat/conversation.js';
import { supportsSteering } from '../lib/agent-config.js';
import { useSession } from '../lib/use-session.js';
import type { Session } from '../lib/types.js';
import { SessionBadges } from '../components/badges.js';
import { Permissions } from '../components/permissions.js';
import { MessageList, type QueueActions } from '../components/chat/message-list.js';
import { TodoList } from '../components/chat/tool-card.js';
import { Composer } from '../components/composer.js';
import { SessionActions } from '../components/session-actions.js';
import { SessionControls } from '../components/session-controls.js';
import { Lazy } from '../components/lazy.js';
import { ReviewView } from './review.js';
import { FilesView } from './files.js';

const TABS: Array<[SessionTab, string]> = [
  ['chat', 'Chat'],
  ['review', 'Review'],
  ['files', 'Files'],
  ['terminal', 'Terminal'],
];

const loadTerminal = () => import('./terminal.js');

function Tabs({ id, tab }: { id: string; tab: SessionTab }) {
  return (
    <nav class="tabs session-tabs" aria-label="Session">
      {TABS.map(([t, label]) => (
        <a key={t} href={`/sessions/${encodeURIComponent(id)}${t === 'chat' ? '' : `?tab=${t}`}`} onClick={linkClick} aria-current={t === tab ? 'page' : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

function Todos({ session }: { session: Session }) {
  const todos = Array.isArray(session.todos) ? session.todos : [];
  if (todos.length === 0) return null;
  const done = todos.filter((t) => t.status === 'completed').length;
  return (
    <details class="todo-panel" data-testid="todos">
      <summary>
        Todos <span class="muted">{done} of {todos.length} done</span>
      </summary>
      <TodoList todos={todos} />
    </details>
  );
}

/** One session: its state, pending permission requests, and a tab each for chat, review, files, terminal. */
export function SessionView({ id, tab }: { id: string; tab: SessionTab }) {
  const hub = useHub();
  const s = useSession(id);
  const session = s.session;
  const rows = useMemo(() => buildConversation(s.state.messages, session?.agentState), [s.state.messages, session?.agentState]);

  useEffect(() => {
    if (session) document.title = `${sessionTitle(session)} · teamhub`;
  }, [session && sessionTitle(session)]);

  if (!session) {
    return (
      <section aria-labelledby="session-title">
        <p class="crumbs">
          <a href="/" onClick={linkClick}>
            ← Sessions
          </a>
        </p>
        <h1 id="session-title">Session</h1>
        {s.error ? (
          <p class="error" role="alert">
            {s.error}
          </p>
        ) : (
          <p class="muted" role="status">
            Loading the session…
          </p>
        )}
      </section>
    );
  }

  const canSteer = supportsSteering(session.metadata);
  const queueAction = (fn: (sid: string, mid: string) => Promise<{ status?: string }>, verb: string) => async (messageId: string) => {
    try {
      const res = await fn(session.id, messageId);
      if (res?.status === 'busy') s.setError(`The agent is taking that message right now; it could not be ${verb}.`);
      void s.reload();
    } catch (err) {
      s.setError(errorText(err));
    }
  };
  const queue: QueueActions = {
    cancel: queueAction((a, b) => hub.api.cancelQueued(a, b), 'cancelled'),
    steer: queueAction((a, b) => hub.api.steerQueued(a, b), 'steered'),
    retry: queueAction((a, b) => hub.api.retryQueued(a, b), 'retried'),
    canSteer,
  };

  return (
    <section aria-labelledby="session-title" class="session">
      <p class="crumbs">
        <a href="/" onClick={linkClick}>
          ← Sessions
        </a>
      </p>
      <div class="session-head">
        <h1 id="session-title">{sessionTitle(session)}</h1>
        <SessionBadges session={session} />
        <p class="item-sub">
          {session.metadata?.path ?? ''}
          {session.metadata?.host ? ` on ${session.metadata.host}` : ''}
        </p>
      </div>
      <SessionActions session={session} onRenamed={(name) => s.setSession({ ...session, metadata: { ...session.metadata, name } })} />
      <SessionControls session={session} />
      {s.error && (
        <p class="error" role="alert">
          {s.error}
        </p>
      )}
      <Tabs id={session.id} tab={tab} />
      {tab !== 'chat' && pendingCount(session) > 0 && (
        <p class="notice" role="status">
          The agent is waiting for your answer.{' '}
          <a href={`/sessions/${encodeURIComponent(session.id)}`} onClick={linkClick}>
            Answer in Chat
          </a>
        </p>
      )}
      {tab === 'chat' && (
        <>
          <Todos session={session} />
          <MessageList rows={rows} outgoing={s.outgoing} hasMore={s.state.hasMore} loadingOlder={s.loadingOlder} onLoadOlder={() => void s.loadOlder()} queue={queue} />
          {/* Requests sit by the message box, where a reader of the newest messages is. */}
          <Permissions session={session} />
          {session.active && session.thinking && (
            <p class="working" role="status">
              The agent is working…
            </p>
          )}
          <Composer sessionId={session.id} active={session.active} canSteer={canSteer} busy={session.thinking} onSend={s.send} />
        </>
      )}
      {tab === 'review' && <ReviewView session={session} />}
      {tab === 'files' && <FilesView session={session} />}
      {tab === 'terminal' && <Lazy load={loadTerminal} render={(m) => <m.TerminalView session={session} />} fallback={<p class="muted" role="status">Loading the terminal…</p>} />}
    </section>
  );
}
