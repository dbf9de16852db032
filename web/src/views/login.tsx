import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api-error.js';
import type { AuthController } from '../lib/auth.js';
import { hubUrl } from '../lib/token-store.js';

function loginError(err: unknown): string {
  if (err instanceof ApiError && err.status === 401) return 'The hub did not accept that access token. Check it and try again.';
  if (err instanceof ApiError && err.status === 429) return 'Too many failed attempts. Wait a minute, then try again.';
  return err instanceof Error ? err.message : String(err);
}

/** Log in with an access token (`<base token>:<namespace>` or a namespace token). */
export function LoginView({ auth, message }: { auth: AuthController; message?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return setError('Enter your access token.');
    setBusy(true);
    setError(null);
    try {
      await auth.login(value);
    } catch (err) {
      setError(loginError(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="center">
      <section class="card login" aria-labelledby="login-title">
        <h1 id="login-title" class="brand-title">teamhub</h1>
        <p class="muted">Your team's AI coding sessions, each teammate in their own namespace.</p>
        {message && (
          <p class="notice" role="alert" data-testid="login-message">
            {message}
          </p>
        )}
        <form onSubmit={submit} novalidate>
          <label for="access-token">Access token</label>
          <input
            id="access-token"
            name="access-token"
            type="password"
            autocomplete="current-password"
            spellcheck={false}
            value={token}
            aria-describedby="token-help"
            aria-invalid={error ? 'true' : undefined}
            onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
          />
          <p id="token-help" class="help">
            The token you use for <code>CLI_API_TOKEN</code>, for example <code>base-token:alice</code>.
          </p>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        <p class="help hub-url">
          Hub: <span>{hubUrl()}</span>
        </p>
      </section>
    </main>
  );
}
