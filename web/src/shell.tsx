import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './lib/api.js';
import type { AuthController } from './lib/auth.js';
import { HubContext, type Hub } from './lib/hub.js';
import { Live, type LiveStatus } from './lib/live.js';
import { useRoute } from './lib/router.js';
import { useMachines, useSessions } from './lib/use-live-list.js';
import { Header } from './components/header.js';
import { SessionsView } from './views/sessions.js';
import { SessionView } from './views/session.js';
import { MachinesView } from './views/machines.js';
import { SpawnView } from './views/spawn.js';

/** The logged-in page: header, live lists and the routed view. */
export function Shell({ auth, jwt, ns }: { auth: AuthController; jwt: string; ns: string }) {
  const hub = useMemo<Hub>(() => {
    const api = new Api(auth);
    const live = new Live(() => auth.jwt(), () => api.sessions());
    return { auth, api, live, ns };
  }, [auth]);
  const [status, setStatus] = useState<LiveStatus>(hub.live.status);

  useEffect(() => hub.live.onStatus(setStatus), [hub]);
  useEffect(() => () => hub.live.close(), [hub]);
  // A refreshed JWT reopens the stream, so its reconnects never use an expired token.
  useEffect(() => void hub.live.open(), [hub, jwt]);

  const sessions = useSessions(hub);
  const machines = useMachines(hub);
  const route = useRoute();

  let view;
  if (route.name === 'sessions') view = <SessionsView sessions={sessions} machines={machines.items} />;
  else if (route.name === 'session') view = <SessionView key={route.id} id={route.id} />;
  else if (route.name === 'machines') view = <MachinesView machines={machines} />;
  else if (route.name === 'spawn') view = <SpawnView machines={machines} machineId={route.machineId} />;
  else view = <NotFound />;

  return (
    <HubContext.Provider value={hub}>
      <Header ns={ns} status={status} route={route} onLogout={() => void auth.logout()} />
      <main id="main" class="page" tabIndex={-1}>
        {view}
      </main>
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
