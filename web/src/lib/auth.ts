import { ApiError, readJson, send } from './api-error.js';
import { readClaims } from './jwt.js';
import { clearAccessToken, loadAccessToken, saveAccessToken, storageKey } from './token-store.js';
import { telegramInitData } from './telegram.js';

export const EXPIRED_MESSAGE = 'Your session expired or was revoked. Please log in again.';

export type AuthState =
  | { kind: 'checking' }
  | { kind: 'anonymous'; message?: string }
  | { kind: 'bind'; initData: string; message?: string }
  | { kind: 'authed'; jwt: string; ns: string; validUntil: number };

type Credential = { accessToken: string } | { initData: string };

/**
 * Owns the login: exchanges the stored access token (or Telegram initData) for a web JWT,
 * re-exchanges it before it expires, and drops back to the login view on a 401.
 */
export class AuthController {
  state: AuthState = { kind: 'checking' };
  private listeners = new Set<(s: AuthState) => void>();
  private credential: Credential | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<string> | null = null;

  subscribe(fn: (s: AuthState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(state: AuthState): void {
    this.state = state;
    for (const fn of this.listeners) fn(state);
  }

  /** Restores a login from the Telegram initData or the stored access token. */
  async start(): Promise<void> {
    window.addEventListener('storage', (e) => {
      if (e.key === storageKey() && e.newValue === null && this.state.kind === 'authed') this.expire('You logged out in another tab.');
    });
    const initData = telegramInitData();
    const fromUrl = takeUrlToken();
    if (fromUrl) saveAccessToken(fromUrl);
    const stored = loadAccessToken();
    const credential: Credential | null = initData ? { initData } : stored ? { accessToken: stored } : null;
    if (!credential) return this.set({ kind: 'anonymous' });
    try {
      await this.exchange(credential);
    } catch (err) {
      if (initData && err instanceof ApiError && err.message === 'not_bound') return this.set({ kind: 'bind', initData });
      if (err instanceof ApiError && err.status === 401) clearAccessToken();
      const message = err instanceof ApiError && err.status === 401 ? EXPIRED_MESSAGE : (err as Error).message;
      this.set({ kind: 'anonymous', message });
    }
  }

  /** Logs in with an access token typed by the user; throws ApiError with the hub's text. */
  async login(accessToken: string): Promise<void> {
    await this.exchange({ accessToken });
    saveAccessToken(accessToken);
  }

  /** Binds this Telegram account to the namespace of `accessToken`, then logs in. */
  async bind(initData: string, accessToken: string): Promise<void> {
    const res = await send('/api/bind', jsonPost({ initData, accessToken }));
    this.accept(await readJson<{ token: string }>(res), { initData });
  }

  async logout(): Promise<void> {
    const jwt = this.state.kind === 'authed' ? this.state.jwt : null;
    this.stop();
    clearAccessToken();
    this.set({ kind: 'anonymous', message: 'You have logged out.' });
    if (jwt) await fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${jwt}` } }).catch(() => undefined);
  }

  /** The hub said 401: forget the login and show the login view with `message`. */
  expire(message = EXPIRED_MESSAGE): void {
    if (this.state.kind !== 'authed') return;
    this.stop();
    clearAccessToken();
    this.set({ kind: 'anonymous', message });
  }

  /** A JWT valid for at least a few more seconds (re-exchanging the credential when needed). */
  async jwt(): Promise<string> {
    const s = this.state;
    if (s.kind !== 'authed') throw new ApiError(401, EXPIRED_MESSAGE);
    if (s.validUntil - Date.now() > 10_000) return s.jwt;
    return this.refresh();
  }

  private refresh(): Promise<string> {
    if (!this.refreshing) {
      const credential = this.credential;
      this.refreshing = (async () => {
        if (!credential) throw new ApiError(401, EXPIRED_MESSAGE);
        try {
          return await this.exchange(credential);
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) this.expire();
          else this.schedule(10_000);
          throw err;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  private async exchange(credential: Credential): Promise<string> {
    const res = await send('/api/auth', jsonPost(credential));
    return this.accept(await readJson<{ token: string }>(res), credential);
  }

  private accept(body: { token: string }, credential: Credential): string {
    const claims = readClaims(body.token);
    if (!claims) throw new ApiError(502, 'The hub answered with an unreadable token.');
    this.credential = credential;
    // Local time of expiry, from the token's own lifetime (immune to a skewed device clock).
    const lifetimeMs = Math.max(0, (claims.exp - claims.iat) * 1000);
    const validUntil = Date.now() + lifetimeMs;
    this.schedule(Math.max(5_000, lifetimeMs - Math.min(60_000, lifetimeMs / 4)));
    this.set({ kind: 'authed', jwt: body.token, ns: claims.ns, validUntil });
    return body.token;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.min(ms, 2 ** 31 - 1));
  }

  private stop(): void {
    clearTimeout(this.timer);
    this.credential = null;
  }
}

/** `?token=<access token>` (HAPI's shareable login link): taken once, then removed from the address bar. */
function takeUrlToken(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token')?.trim();
  if (!token) return null;
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  return token;
}

function jsonPost(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
