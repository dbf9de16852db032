import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'sessions' }
  | { name: 'session'; id: string; tab: SessionTab }
  | { name: 'machines' }
  | { name: 'spawn'; machineId?: string }
  | { name: 'settings' }
  | { name: 'not-found' };

export type SessionTab = 'chat' | 'review' | 'files' | 'terminal';
const TABS: SessionTab[] = ['chat', 'review', 'files', 'terminal'];

export function parseRoute(pathname: string, search = ''): Route {
  if (pathname === '/' || pathname === '/sessions') return { name: 'sessions' };
  const m = /^\/sessions\/([^/]+)$/.exec(pathname);
  if (m) {
    const tab = new URLSearchParams(search).get('tab') as SessionTab | null;
    return { name: 'session', id: decodeURIComponent(m[1]!), tab: tab && TABS.includes(tab) ? tab : 'chat' };
  }
  if (pathname === '/settings') return { name: 'settings' };
  if (pathname === '/machines') return { name: 'machines' };
  if (pathname === '/spawn') {
    const machineId = new URLSearchParams(search).get('machine') ?? undefined;
    return { name: 'spawn', machineId };
  }
  return { name: 'not-found' };
}

const listeners = new Set<() => void>();

export function navigate(to: string): void {
  if (to === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', to);
  for (const fn of listeners) fn();
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const read = () => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** onClick for an <a href>: client-side navigation for plain left clicks. */
export function linkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
