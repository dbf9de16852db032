import type { Namespace } from '../../lib/namespace.js';
import type { ToastRequest } from '../../lib/gen/teamhub/notify/v1/notify.js';

/**
 * HAPI's SSE `toast` event: what a visible page shows instead of a Web Push (a permission request,
 * the agent ready for input, a finished task). HAPI sends it without a namespace; teamhub stamps
 * the namespace on it like every other frame, so a stream shows nothing unstamped.
 */
export function toastSyncEvent(ns: Namespace, t: Pick<ToastRequest, 'title' | 'body' | 'sessionId' | 'url'>): Record<string, unknown> {
  return { type: 'toast', data: { title: t.title, body: t.body, sessionId: t.sessionId, url: t.url }, namespace: ns };
}
