/**
 * The HAPI HTTP API as the bench uses it, the same calls against either hub: `/cli` with a
 * namespace token (`<base>:<name>`), `/api` with the web JWT that `POST /api/auth` gives for it.
 */
export class HubApi {
  private readonly jwts = new Map<string, string>();

  constructor(
    readonly url: string,
    private readonly baseToken: string,
  ) {}

  token(ns: string): string {
    return `${this.baseToken}:${ns}`;
  }

  private async call(method: string, path: string, auth: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? { authorization: `Bearer ${auth}` } : { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  }

  /** `POST /cli/sessions` as the hapi CLI sends it; resolves with the new session's id. */
  async createSession(ns: string, tag: string): Promise<string> {
    const body = { tag, metadata: { path: `/srv/bench/${tag}`, host: 'bench-host', os: 'linux', flavor: 'claude' }, agentState: {} };
    return ((await this.call('POST', '/cli/sessions', this.token(ns), body)) as { session: { id: string } }).session.id;
  }

  async getCliSession(ns: string, id: string): Promise<void> {
    await this.call('GET', `/cli/sessions/${id}`, this.token(ns));
  }

  /** The web JWT of a namespace (one login per namespace and hub). */
  async webJwt(ns: string): Promise<string> {
    let jwt = this.jwts.get(ns);
    if (!jwt) {
      const res = await fetch(`${this.url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: this.token(ns) }) });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST /api/auth: ${res.status} ${text.slice(0, 200)}`);
      jwt = (JSON.parse(text) as { token: string }).token;
      this.jwts.set(ns, jwt);
    }
    return jwt;
  }

  /** `GET /api/sessions`; resolves with how many sessions it listed. */
  async listSessions(ns: string): Promise<number> {
    return ((await this.call('GET', '/api/sessions', await this.webJwt(ns))) as { sessions: unknown[] }).sessions.length;
  }

  /** `GET /api/sessions/:id/messages` (newest page); resolves with how many messages it returned. */
  async latestMessages(ns: string, id: string, limit: number): Promise<number> {
    return ((await this.call('GET', `/api/sessions/${id}/messages?limit=${limit}`, await this.webJwt(ns))) as { messages: unknown[] }).messages.length;
  }

  /** `POST /api/sessions/:id/messages` from the web page. */
  async sendWebMessage(ns: string, id: string, text: string, localId: string): Promise<void> {
    await this.call('POST', `/api/sessions/${id}/messages`, await this.webJwt(ns), { text, localId });
  }
}

/** Runs `fn` and resolves with its duration in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Runs `fn(i)` for i in [0, n) with `concurrency` calls in flight; resolves with each call's ms. */
export async function inFlight(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) lat.push(await timed(() => fn(i)));
    }),
  );
  return lat;
}
