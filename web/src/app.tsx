import { useEffect, useRef, useState } from 'preact/hooks';
import type { AuthController, AuthState } from './lib/auth.js';
import { LoginView } from './views/login.js';
import { BindView } from './views/bind.js';
import { Shell } from './shell.js';

/** Chooses between the login views and the logged-in page. */
export function App({ auth }: { auth: AuthController }) {
  const [state, setState] = useState<AuthState>(auth.state);
  // Each login gets a fresh logged-in page (its own API client and event stream).
  const logins = useRef({ count: 0, wasAuthed: false });
  if (state.kind === 'authed' && !logins.current.wasAuthed) logins.current.count += 1;
  logins.current.wasAuthed = state.kind === 'authed';
  useEffect(() => {
    const off = auth.subscribe(setState);
    setState(auth.state); // it may have changed before this effect ran
    return off;
  }, [auth]);

  useEffect(() => {
    document.title = state.kind === 'authed' ? `teamhub · ${state.ns}` : 'teamhub · log in';
  }, [state.kind === 'authed' ? state.ns : '']);

  if (state.kind === 'checking') {
    return (
      <main class="center" id="main" aria-busy="true">
        <p class="muted" role="status">Connecting to the hub…</p>
      </main>
    );
  }
  if (state.kind === 'anonymous') return <LoginView auth={auth} message={state.message} />;
  if (state.kind === 'bind') return <BindView auth={auth} initData={state.initData} />;
  return <Shell key={logins.current.count} auth={auth} jwt={state.jwt} ns={state.ns} />;
}
