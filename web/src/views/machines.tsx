import { useEffect } from 'preact/hooks';
import type { LiveList } from '../lib/use-live-list.js';
import type { Machine } from '../lib/types.js';
import { linkClick } from '../lib/router.js';
import { relativeTime } from '../lib/session-view.js';
import { useNow } from '../components/use-now.js';

export function machineName(m: Machine): string {
  return m.metadata?.displayName || m.metadata?.host || m.id.slice(0, 8);
}

/** The namespace's online machines (runners and CLIs that reported in recently). */
export function MachinesView({ machines }: { machines: LiveList<Machine> }) {
  const now = useNow();
  // Opening the view refreshes it (the live stream keeps it current after that).
  useEffect(() => machines.reload(), []);
  return (
    <section aria-labelledby="machines-title">
      <div class="view-head">
        <h1 id="machines-title">Machines</h1>
      </div>
      {machines.error && (
        <p class="error" role="alert">
          Could not load machines: {machines.error}
        </p>
      )}
      {machines.loading ? (
        <p class="muted" role="status">
          Loading machines…
        </p>
      ) : machines.items.length === 0 ? (
        <div class="empty">
          <h2>No machines online</h2>
          <p>
            Run <code>hapi runner start</code> on a computer with your access token. It shows up here while it is online, and you can
            start sessions on it from this page.
          </p>
        </div>
      ) : (
        <ul class="list" aria-label="Online machines" data-testid="machine-list">
          {machines.items.map((m) => (
            <li key={m.id} class="item item-pad" data-machine-id={m.id}>
              <span class="item-title">{machineName(m)}</span>
              <span class="item-sub">
                Host {m.metadata?.host ?? 'unknown'}
                {m.metadata?.platform ? ` · ${m.metadata.platform}` : ''}
              </span>
              <span class="item-meta">
                <span class="badges">
                  <span class="badge badge-on">Online</span>
                  {m.runnerState?.status && m.runnerState.status !== 'offline' && <span class="badge badge-off">Runner {m.runnerState.status}</span>}
                </span>
                <time dateTime={new Date(m.activeAt).toISOString()}>seen {relativeTime(m.activeAt, now)}</time>
              </span>
              <a class="btn btn-secondary item-action" href={`/spawn?machine=${encodeURIComponent(m.id)}`} onClick={linkClick}>
                New session here<span class="sr-only"> on {machineName(m)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
