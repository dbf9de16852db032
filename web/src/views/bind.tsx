import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api-error.js';
import type { AuthController } from '../lib/auth.js';

function bindError(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) return 'This Telegram account is already bound to another namespace.';
  if (err instanceof ApiError && err.status === 401) return 'The hub did not accept that access token. Check it and try again.';
  return err instanceof Error ? err.message : String(err);
}

/** Telegram Mini App: the account is not bound yet, so ask once for the access token. */
export function BindView({ auth, initData }: { auth: AuthController; initData: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token.trim()) return setError('Enter your access token.');
    setBusy(true);
    setError(null);
    try {
      await auth.bind(initData, token.trim());
    } catch (err) {
      setError(bindError(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="center">
      <section class="card login" aria-labelledby="bind-title">
        <h1 id="bind-title" class="brand-title">Connect Telegram</h1>
        <p>This Telegram account is not linked to a namespace yet. Enter your access token once to link it.</p>
        <form onSubmit={submit} novalidate>
          <label for="bind-token">Access token</label>
          <input
            id="bind-token"
            type="password"
            autocomplete="current-password"
            value={token}
            onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
          />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Linking…' : 'Link and log in'}
          </button>
        </form>
      </section>
    </main>
  );
}
