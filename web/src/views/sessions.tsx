import { useEffect } from 'preact/hooks';
import type { LiveList } from '../lib/use-live-list.js';
import type { Machine, Session } from '../lib/types.js';
import { linkClick } from '../lib/router.js';
import { relativeTime, sessionTitle } from '../lib/session-view.js';
import { useHub } from '../lib/hub.js';
import { SessionBadges } from '../components/badges.js';
import { useNow } from '../components/use-now.js';

/** The namespace's sessions, live: active ones first, then by last activity. */
export function SessionsView({ sessions, machines }: { sessions: LiveList<Session>; machines: Machine[] }) {
  const { ns } = useHub();
  const now = useNow();
  // Opening the view refreshes it (the live stream keeps it current after that).
  useEffect(() => sessions.reload(), []);
  const active = sessions.items.filter((s) => s.active).length;
  return (
    <section aria-labelledby="sessions-title">
      <div class="view-head">
        <h1 id="sessions-title">Sessions</h1>
        <a class="btn btn-primary" href="/spawn" onClick={linkClick}>
          New session
        </a>
      </div>
      {sessions.error && (
        <p class="error" role="alert">
          Could not load sessions: {sessions.error}{' '}
          <button type="button" class="btn btn-link" onClick={sessions.reload}>
            Try again
          </button>
        </p>
      )}
      {sessions.loading ? (
        <p class="muted" role="status">
          Loading sessions…
        </p>
      ) : sessions.items.length === 0 ? (
        <EmptySessions ns={ns} machineCount={machines.length} />
      ) : (
        <>
          <p class="muted summary-line" aria-live="polite">
            {sessions.items.length} {sessions.items.length === 1 ? 'session' : 'sessions'}, {active} active
          </p>
          <ul class="list" aria-label="Sessions" data-testid="session-list">
            {sessions.items.map((s) => (
              <li key={s.id} class="item" data-session-id={s.id}>
                <a href={`/sessions/${encodeURIComponent(s.id)}`} onClick={linkClick} class="item-link">
                  <span class="item-title">{sessionTitle(s)}</span>
                  <span class="item-sub">{s.metadata?.path ?? s.id}</span>
                  <span class="item-meta">
                    <SessionBadges session={s} />
                    <time dateTime={new Date(s.updatedAt || s.activeAt).toISOString()}>
                      {relativeTime(Math.max(s.updatedAt, s.activeAt), now)}
                    </time>
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function EmptySessions({ ns, machineCount }: { ns: string; machineCount: number }) {
  return (
    <div class="empty">
      <h2>No sessions in {ns} yet</h2>
      <p>
        Start one on your computer with <code>hapi</code> (using your access token), or{' '}
        {machineCount > 0 ? (
          <a href="/spawn" onClick={linkClick}>
            spawn one on an online machine
          </a>
        ) : (
          <>start a runner with <code>hapi runner start</code> and spawn one from here</>
        )}
        . New sessions appear here as soon as they start.
      </p>
    </div>
  );
}
