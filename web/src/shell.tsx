import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './lib/api.js';
import type { AuthController } from './lib/auth.js';
import { HubContext, type Hub } from './lib/hub.js';
import { Live, type LiveStatus } from './lib/live.js';
import { linkClick, useRoute } from './lib/router.js';
import { useMachines, useSessions } from './lib/use-live-list.js';
import { Header } from './components/header.js';
import { Lazy } from './components/lazy.js';
import { SessionsView } from './views/sessions.js';
import { MachinesView } from './views/machines.js';
import { SpawnView } from './views/spawn.js';
import { SettingsView } from './views/settings.js';

// The session view (conversation rendering, Markdown, review) is its own chunk: the first paint
// (login, the session list) does not wait for it.
const loadSession = () => import('./views/session.js');

interface Toast {
  id: number;
  title: string;
  body: string;
  url: string;
}

function pageVisibility(): 'visible' | 'hidden' {
  return document.visibilityState === 'hidden' ? 'hidden' : 'visible';
}

/** The logged-in page: header, live lists, the routed view and the hub's toasts. */
export function Shell({ auth, jwt, ns }: { auth: AuthController; jwt: string; ns: string }) {
  const hub = useMemo<Hub>(() => {
    const api = new Api(auth);
    const live = new Live(() => auth.jwt(), () => api.sessions(), pageVisibility);
    return { auth, api, live, ns };
  }, [auth]);
  const [status, setStatus] = useState<LiveStatus>(hub.live.status);
  const [toasts, setToasts] = useState<Toast[]>([]);

  useEffect(() => hub.live.onStatus(setStatus), [hub]);
  useEffect(() => () => hub.live.close(), [hub]);
  // A refreshed JWT reopens the stream, so its reconnects never use an expired token.
  useEffect(() => void hub.live.open(), [hub, jwt]);
  // While this page is in view the hub shows its notifications here (toasts), not as pushes.
  useEffect(() => {
    const report = () => {
      const id = hub.live.subscriptionId;
      if (id) void hub.api.visibility(id, pageVisibility()).catch(() => undefined);
    };
    document.addEventListener('visibilitychange', report);
    const off = hub.live.on((ev) => {
      if (ev.type !== 'toast') return;
      const d = (ev.data ?? {}) as { title?: unknown; body?: unknown; url?: unknown };
      const url = typeof d.url === 'string' && d.url.startsWith('/') && !d.url.startsWith('//') ? d.url : '/';
      const toast = { id: Date.now() + Math.random(), title: String(d.title ?? 'teamhub'), body: String(d.body ?? ''), url };
      setToasts((t) => [...t.slice(-2), toast]);
      setTimeout(() => setToasts((t) => t.filter((x) => x.id !== toast.id)), 8000);
    });
    return () => {
      document.removeEventListener('visibilitychange', report);
      off();
    };
  }, [hub]);

  const sessions = useSessions(hub);
  const machines = useMachines(hub);
  const route = useRoute();

  let view;
  if (route.name === 'sessions') view = <SessionsView sessions={sessions} machines={machines.items} />;
  else if (route.name === 'session') view = <Lazy key={route.id} load={loadSession} render={(m) => <m.SessionView id={route.id} tab={route.tab} />} fallback={<p class="muted" role="status">Loading the session…</p>} />;
  else if (route.name === 'machines') view = <MachinesView machines={machines} />;
  else if (route.name === 'spawn') view = <SpawnView machines={machines} machineId={route.machineId} />;
  else if (route.name === 'settings') view = <SettingsView />;
  else view = <NotFound />;

  return (
    <HubContext.Provider value={hub}>
      <Header ns={ns} status={status} route={route} onLogout={() => void auth.logout()} />
      <main id="main" class="page" tabIndex={-1}>
        {view}
      </main>
      <div class="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <a key={t.id} class="toast" href={t.url} onClick={linkClick}>
            <strong>{t.title}</strong> {t.body}
          </a>
        ))}
      </div>
    </HubContext.Provider>
  );
}

function NotFound() {
  return (
    <section aria-labelledby="nf-title">
      <h1 id="nf-title">Page not found</h1>
      <p>
        <a href="/">Back to your sessions</a>
      </p>
    </section>
  );
}
