import { http } from '../helpers/hub-harness.js';
import type { ResumingSse } from '../helpers/resuming-sse.js';
import type { WriteRecord } from './steady-load.js';

/** How often each acknowledged write is found in the hub, by kind and key. */
export interface Stored {
  /** localId → how many stored messages carry it. */
  messages: Map<string, number>;
  /** session name (the tag the load gave it) → how many sessions carry it. */
  sessions: Map<string, number>;
  /** acknowledged machine ids found. */
  machines: Set<string>;
}

const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Reads back what the hub stored: every message of the load's session, the namespace's sessions, and each acknowledged machine. */
export async function readBack(url: string, cliToken: string, jwt: string, sessionId: string, acked: WriteRecord[]): Promise<Stored> {
  const messages = new Map<string, number>();
  for (let after = 0; ; ) {
    const r = await http(url, 'GET', `/cli/sessions/${sessionId}/messages?afterSeq=${after}&limit=200`, { token: cliToken, timeoutMs: 15_000 });
    if (r.status !== 200) throw new Error(`reading messages: ${r.status} ${r.text}`);
    const page = r.json.messages as Array<{ seq: number; localId: string | null }>;
    for (const m of page) if (m.localId) count(messages, m.localId);
    if (page.length < 200) break;
    after = page[page.length - 1]!.seq;
  }
  const sessions = new Map<string, number>();
  const list = await http(url, 'GET', '/api/sessions?limit=500', { token: jwt, timeoutMs: 15_000 });
  if (list.status !== 200) throw new Error(`listing sessions: ${list.status} ${list.text}`);
  for (const s of list.json.sessions as Array<{ metadata?: { name?: string } }>) if (s.metadata?.name) count(sessions, s.metadata.name);
  const machines = new Set<string>();
  for (const w of acked.filter((a) => a.kind === 'machine create')) {
    const r = await http(url, 'GET', `/cli/machines/${encodeURIComponent(w.key)}`, { token: cliToken, timeoutMs: 15_000 });
    if (r.status === 200 && r.json.machine?.id === w.key) machines.add(w.key);
  }
  return { messages, sessions, machines };
}

/** How many times an acknowledged write is stored (0 = lost, 2+ = duplicated). */
export function copiesOf(w: WriteRecord, stored: Stored): number {
  if (w.kind === 'web message' || w.kind === 'CLI message') return stored.messages.get(w.key) ?? 0;
  if (w.kind === 'session create') return stored.sessions.get(w.key) ?? 0;
  return stored.machines.has(w.key) ? 1 : 0;
}

/** What the SSE client was told, as keys: `message:<localId>`, `session:<id>`, `machine:<id>`. */
export function eventKeys(sse: ResumingSse): Set<string> {
  const keys = new Set<string>();
  for (const { data: d } of sse.events) {
    if (d?.type === 'message-received' && typeof d.message?.localId === 'string') keys.add(`message:${d.message.localId}`);
    else if (d?.type === 'session-added' || d?.type === 'session-updated') keys.add(`session:${d.sessionId}`);
    else if (d?.type === 'machine-updated') keys.add(`machine:${d.machineId}`);
  }
  return keys;
}

/** The event key an acknowledged write should have produced (message-received, session-added, machine-updated). */
export function eventKeyOf(w: WriteRecord): string {
  if (w.kind === 'web message' || w.kind === 'CLI message') return `message:${w.key}`;
  if (w.kind === 'session create') return `session:${w.id}`;
  return `machine:${w.key}`;
}
