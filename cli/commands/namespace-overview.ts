// `teamhub namespace list`: the registered namespaces merged with the hub's per-namespace counts.
import { fmtTime, formatTable, str } from '../table.js';

type Ns = Record<string, unknown>;

/** One row per namespace: the registered ones (label, state) and every one holding data (open mode). */
export function mergeOverview(registered: Ns[], overview: Ns[]): Ns[] {
  const rows = new Map<string, Ns>();
  for (const n of registered) rows.set(String(n.name), { ...n });
  for (const o of overview) {
    const name = String(o.name);
    const { name: _n, registered: _r, revoked: _v, ...counts } = o;
    rows.set(name, { ...(rows.get(name) ?? { name, label: '', revoked: false, registered: false }), ...counts });
  }
  return [...rows.values()].sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
}

const count = (v: unknown) => (typeof v === 'number' ? String(v) : '0');

export function overviewTable(rows: Ns[]): string {
  const cells = rows.map((n) => [
    str(n.name),
    str(n.label),
    n.revoked ? 'revoked' : n.registered === false ? 'open' : 'active',
    fmtTime(n.createdAt),
    fmtTime(n.lastUsedAt),
    count(n.sessions),
    count(n.activeSessions),
    count(n.messages),
    count(n.machines),
    count(n.machinesOnline),
    fmtTime(n.lastActivityAt),
  ]);
  return cells.length ? formatTable(['NAME', 'LABEL', 'STATE', 'CREATED', 'LAST USED', 'SESSIONS', 'ACTIVE', 'MESSAGES', 'MACHINES', 'ONLINE', 'LAST ACTIVITY'], cells) : 'No namespaces.';
}
