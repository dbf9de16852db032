import type { LiveStatus } from '../lib/live.js';
import { linkClick, type Route } from '../lib/router.js';

const STATUS_TEXT: Record<LiveStatus, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };

export function Header({ ns, status, route, onLogout }: { ns: string; status: LiveStatus; route: Route; onLogout: () => void }) {
  const current = (names: Route['name'][]) => (names.includes(route.name) ? 'page' : undefined);
  return (
    <header class="topbar">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="topbar-row">
        <a href="/" class="brand" onClick={linkClick}>
          teamhub
        </a>
        <p class="ns" title="Everything on this page belongs to this namespace only">
          <span class="ns-label">Namespace</span> <strong data-testid="namespace">{ns}</strong>
        </p>
        <span class={`live live-${status}`} role="status" aria-live="polite">
          <span class="dot" aria-hidden="true" />
          <span class="live-text">{STATUS_TEXT[status]}</span>
        </span>
        <button type="button" class="btn btn-quiet btn-small" onClick={onLogout}>
          Log out
        </button>
      </div>
      <nav aria-label="Main" class="tabs">
        <a href="/" onClick={linkClick} aria-current={current(['sessions', 'session'])}>
          Sessions
        </a>
        <a href="/machines" onClick={linkClick} aria-current={current(['machines'])}>
          Machines
        </a>
        <a href="/spawn" onClick={linkClick} aria-current={current(['spawn'])}>
          New session
        </a>
        <a href="/settings" onClick={linkClick} aria-current={current(['settings'])}>
          Settings
        </a>
      </nav>
    </header>
  );
}
