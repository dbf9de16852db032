// What the service worker shows for a Web Push from the hub (HAPI's payload: `{title, body, tag,
// data: {type, sessionId, url}}`) and where a tap on it leads.

export interface PushPayload {
  title?: unknown;
  body?: unknown;
  tag?: unknown;
  data?: unknown;
}

export interface ShownNotification {
  title: string;
  options: { body: string; tag?: string; data: { url: string }; icon: string; badge: string };
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v : null;
}

/** A same-origin path to open: the payload's `url`, else its session, else the session list. */
export function targetPath(data: unknown): string {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const url = str(d.url);
  // Only paths on this hub: never another origin ("//evil", "https://…") or a script URL.
  if (url && url.startsWith('/') && !url.startsWith('//') && !url.includes('\\')) return url;
  const sessionId = str(d.sessionId);
  return sessionId ? `/sessions/${encodeURIComponent(sessionId)}` : '/';
}

export function notificationFromPush(payload: unknown): ShownNotification {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as PushPayload;
  const tag = str(p.tag) ?? undefined;
  return {
    title: str(p.title) ?? 'teamhub',
    options: { body: str(p.body) ?? '', ...(tag ? { tag } : {}), data: { url: targetPath(p.data) }, icon: '/icons/icon-192.png', badge: '/icons/icon-192.png' },
  };
}

/** Reads a push message's data as JSON, or as a plain-text body. */
export function readPushData(data: { json(): unknown; text(): string } | null | undefined): unknown {
  if (!data) return {};
  try {
    return data.json();
  } catch {
    return { body: data.text() };
  }
}
