import { useEffect } from 'preact/hooks';
import { linkClick } from '../lib/router.js';
import { sessionTitle } from '../lib/session-view.js';
import { useSession } from '../lib/use-session.js';
import { SessionBadges } from '../components/badges.js';
import { Permissions } from '../components/permissions.js';
import { MessageList } from '../components/messages.js';
import { Composer } from '../components/composer.js';
import { SessionActions } from '../components/session-actions.js';

/** One session: its state, pending permission requests, the conversation and the message box. */
export function SessionView({ id }: { id: string }) {
  const s = useSession(id);
  const session = s.session;

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
      {s.error && (
        <p class="error" role="alert">
          {s.error}
        </p>
      )}
      <Permissions session={session} />
      <MessageList messages={s.messages} outgoing={s.outgoing} hasMore={s.older.hasMore} loadingOlder={s.older.loading} onLoadOlder={() => void s.loadOlder()} />
      <Composer active={session.active} onSend={s.send} />
    </section>
  );
}
