// The installable app: the service worker (registered once the page runs in a secure context)
// and this browser's side of Web Push.
import type { PushEnv } from './push.js';
import { navigate } from './router.js';

let registration: Promise<ServiceWorkerRegistration> | null = null;

export function canUseServiceWorker(): boolean {
  return window.isSecureContext && 'serviceWorker' in navigator;
}

/** Registers `/sw.js` (scope `/`) once; a notification tap asks an open tab to show its session. */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration> {
  if (!registration) {
    registration = navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(() => navigator.serviceWorker.ready);
    navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
      const d = e.data as { type?: unknown; url?: unknown } | null;
      if (d?.type === 'open' && typeof d.url === 'string' && d.url.startsWith('/') && !d.url.startsWith('//')) navigate(d.url);
    });
  }
  return registration;
}

export function browserPushEnv(): PushEnv {
  const supported = canUseServiceWorker() && 'PushManager' in window && 'Notification' in window;
  return {
    supported,
    permission: () => Notification.permission,
    requestPermission: () => Notification.requestPermission(),
    pushManager: async () => (await registerServiceWorker()).pushManager,
  };
}
