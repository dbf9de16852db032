// Small fetch wrapper for the hub's HTTP API: JSON in and out, the server's `error` text on failure.
import { CliError, HttpError } from './errors.js';

export interface RequestOptions {
  method?: string;
  bearer?: string;
  body?: unknown;
  timeoutMs?: number;
}

export async function hubRequest<T = unknown>(baseUrl: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(baseUrl + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(`Cannot reach the hub at ${baseUrl} (${why}).`);
  }
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const serverError =
      data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
        ? (data as { error: string }).error
        : typeof data === 'string'
          ? data.slice(0, 200)
          : '';
    throw new HttpError(res.status, serverError, `${method} ${path}`);
  }
  return data as T;
}

/** Exchanges the CLI access token for a web JWT (`POST /api/auth`). */
export async function webLogin(baseUrl: string, accessToken: string): Promise<string> {
  const res = await hubRequest<{ token?: string }>(baseUrl, '/api/auth', { body: { accessToken } });
  if (!res || typeof res.token !== 'string') throw new CliError('The hub answered /api/auth without a token.');
  return res.token;
}
