// Web Push opt-in for this device: ask the browser's permission, subscribe its push service with
// the hub's VAPID key, and register the subscription with the hub (HAPI's /api/push routes). The
// browser parts come in as an interface so the flow is testable without a browser.

export interface PushSubscriptionLike {
  endpoint: string;
  toJSON(): { endpoint?: string; keys?: Record<string, string | undefined> };
  unsubscribe(): Promise<boolean>;
}

export interface PushEnv {
  supported: boolean;
  permission(): NotificationPermissionLike;
  requestPermission(): Promise<NotificationPermissionLike>;
  /** The page's service worker registration (registered on demand). */
  pushManager(): Promise<{
    getSubscription(): Promise<PushSubscriptionLike | null>;
    subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array<ArrayBuffer> }): Promise<PushSubscriptionLike>;
  }>;
}

export type NotificationPermissionLike = 'default' | 'granted' | 'denied';

export interface PushApi {
  vapidPublicKey(): Promise<{ publicKey: string }>;
  subscribePush(body: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<unknown>;
  unsubscribePush(body: { endpoint: string }): Promise<unknown>;
}

export type PushStatus = 'unsupported' | 'blocked' | 'off' | 'on';

/** A base64url string (the VAPID public key) as bytes. */
export function base64UrlToBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export async function pushStatus(env: PushEnv): Promise<PushStatus> {
  if (!env.supported) return 'unsupported';
  if (env.permission() === 'denied') return 'blocked';
  if (env.permission() !== 'granted') return 'off';
  const sub = await (await env.pushManager()).getSubscription();
  return sub ? 'on' : 'off';
}

/** Turns notifications on for this device; resolves to the status it ended in. */
export async function enablePush(env: PushEnv, api: PushApi): Promise<PushStatus> {
  if (!env.supported) return 'unsupported';
  const permission = env.permission() === 'granted' ? 'granted' : await env.requestPermission();
  if (permission === 'denied') return 'blocked';
  if (permission !== 'granted') return 'off';
  const { publicKey } = await api.vapidPublicKey();
  if (!publicKey) throw new Error('The hub has no push key configured.');
  const manager = await env.pushManager();
  const sub = (await manager.getSubscription()) ?? (await manager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(publicKey) }));
  const json = sub.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (!p256dh || !auth) throw new Error('The browser gave a push subscription without keys.');
  await api.subscribePush({ endpoint: sub.endpoint, keys: { p256dh, auth } });
  return 'on';
}

/** Turns notifications off for this device: the hub forgets the subscription, then the browser. */
export async function disablePush(env: PushEnv, api: PushApi): Promise<PushStatus> {
  if (!env.supported) return 'unsupported';
  const sub = await (await env.pushManager()).getSubscription();
  if (sub) {
    await api.unsubscribePush({ endpoint: sub.endpoint });
    await sub.unsubscribe();
  }
  return 'off';
}
