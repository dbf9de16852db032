import type { Session } from '../lib/types.js';
import { pendingCount } from '../lib/session-view.js';

/** Active / inactive, thinking and pending-permission badges of a session. */
export function SessionBadges({ session }: { session: Session }) {
  const pending = pendingCount(session);
  return (
    <span class="badges">
      <span class={`badge ${session.active ? 'badge-on' : 'badge-off'}`}>{session.active ? 'Active' : 'Inactive'}</span>
      {session.active && session.thinking && <span class="badge badge-busy">Thinking</span>}
      {pending > 0 && (
        <span class="badge badge-warn" data-testid="pending-count">
          {pending} pending {pending === 1 ? 'request' : 'requests'}
        </span>
      )}
    </span>
  );
}
