import type { PermissionRequest, Session } from './types.js';

/** A readable title: the user's name for it, the agent's summary, the folder, or the id. */
export function sessionTitle(s: Session): string {
  const m = s.metadata;
  const name = typeof m?.name === 'string' ? m.name.trim() : '';
  if (name) return name;
  const summary = typeof m?.summary?.text === 'string' ? m.summary.text.trim() : '';
  if (summary) return summary;
  const path = typeof m?.path === 'string' ? m.path : '';
  const base = path.split('/').filter(Boolean).pop();
  return base ?? `Session ${s.id.slice(0, 8)}`;
}

export function pendingRequests(s: Session): Array<[string, PermissionRequest]> {
  const reqs = s.agentState?.requests;
  return reqs && typeof reqs === 'object' ? Object.entries(reqs) : [];
}

export function pendingCount(s: Session): number {
  if (s.agentState !== undefined) return pendingRequests(s).length;
  return typeof s.pendingRequestsCount === 'number' ? s.pendingRequestsCount : 0;
}

const VERSIONED = ['metadata', 'agentState', 'todos', 'teamState'] as const;

/**
 * Applies a `session-updated` payload: either a full Session or a patch whose metadata /
 * agentState come wrapped as `{version, value}` (HAPI's SessionPatch).
 */
export function applySessionPatch(s: Session, patch: Record<string, unknown>): Session {
  const next: Session = { ...s };
  for (const [key, value] of Object.entries(patch)) {
    const wrapped = (VERSIONED as readonly string[]).includes(key) && isVersioned(value);
    if (wrapped) {
      const v = value as { version: number; value: unknown };
      next[key] = v.value;
      next[`${key}Version`] = v.version;
    } else {
      next[key] = value;
    }
  }
  if ('agentState' in patch) next.pendingRequestsCount = pendingRequests(next).length;
  return next;
}

function isVersioned(v: unknown): boolean {
  return !!v && typeof v === 'object' && 'version' in v && 'value' in v && Object.keys(v).length === 2;
}

export function sortSessions(list: Session[]): Session[] {
  return [...list].sort((a, b) => Number(b.active) - Number(a.active) || pendingCount(b) - pendingCount(a) || b.updatedAt - a.updatedAt);
}

const rtf = typeof Intl !== 'undefined' && 'RelativeTimeFormat' in Intl ? new Intl.RelativeTimeFormat('en', { numeric: 'auto' }) : null;

export function relativeTime(ms: number, now = Date.now()): string {
  if (!ms) return 'never';
  const s = Math.round((ms - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  const [value, unit]: [number, Intl.RelativeTimeFormatUnit] =
    abs < 3600 ? [Math.round(s / 60), 'minute'] : abs < 86400 ? [Math.round(s / 3600), 'hour'] : [Math.round(s / 86400), 'day'];
  return rtf ? rtf.format(value, unit) : new Date(ms).toLocaleString();
}

export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
