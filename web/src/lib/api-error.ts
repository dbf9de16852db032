/** An HTTP error from the hub, with HAPI's `{error}` text. Status 0 means the hub was not reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads a fetch response as JSON, throwing ApiError with the hub's `{error}` text when not ok. */
export async function readJson<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: unknown; code?: unknown };
    const message = typeof b.error === 'string' ? b.error : `The hub answered ${res.status} ${res.statusText}`.trim();
    throw new ApiError(res.status, message, typeof b.code === 'string' ? b.code : undefined);
  }
  return body as T;
}

export async function send(input: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch {
    throw new ApiError(0, 'Cannot reach the hub. Check your connection and try again.');
  }
}
