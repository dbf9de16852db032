/**
 * What a runner answers when the hub asks for the local Codex threads or Pi sessions of its
 * machine (RPCs listCodexSessions, listPiSessions, archiveCodexSession; HAPI's shared schemas),
 * and the session metadata HAPI writes for an imported transcript. A runner's answer is checked
 * with these schemas as HAPI does; what does not match is treated as a failed call.
 */
import { z } from 'zod';

/** A transcript message as the runner sends it, already in HAPI's message content shape. */
export const ImportedMessageContent = z.union([
  z.object({ role: z.literal('user'), content: z.object({ type: z.literal('text'), text: z.string() }), meta: z.object({ sentFrom: z.literal('cli') }) }),
  z.object({ role: z.literal('agent'), content: z.object({ type: z.literal('codex'), data: z.unknown() }), meta: z.object({ sentFrom: z.literal('cli') }) }),
  z.object({ role: z.literal('agent'), content: z.object({ type: z.literal('event'), data: z.unknown() }), meta: z.object({ sentFrom: z.literal('cli') }) }),
]);
export type ImportedMessageContent = z.infer<typeof ImportedMessageContent>;

const CodexSummary = z.object({
  id: z.string().min(1),
  title: z.string(),
  lastUserMessage: z.string().nullable().optional(),
  cwd: z.string().nullable().optional(),
  file: z.string().min(1),
  modifiedAt: z.number(),
  originator: z.string().nullable().optional(),
  cliVersion: z.string().nullable().optional(),
  source: z.string().nullable().optional(),
  threadSource: z.string().nullable().optional(),
  forkedFromId: z.string().nullable().optional(),
});
const CodexWithMessages = CodexSummary.extend({ messages: z.array(ImportedMessageContent) });
export type CodexTranscript = z.infer<typeof CodexWithMessages>;
export type CodexSummary = z.infer<typeof CodexSummary>;

export const ListCodexSessionsAnswer = z.union([
  z.object({ success: z.literal(true), sessions: z.array(z.union([CodexWithMessages, CodexSummary])) }),
  z.object({ success: z.literal(false), error: z.string() }),
]);
export const ArchiveCodexSessionAnswer = z.union([z.object({ success: z.literal(true), archivedPath: z.string() }), z.object({ success: z.literal(false), error: z.string() })]);

const PiMessage = z.object({ localId: z.string().min(1), entryId: z.string().min(1), parentEntryId: z.string().nullable().optional(), createdAt: z.number(), content: ImportedMessageContent });
const PiSummary = z.object({
  id: z.string().min(1),
  title: z.string(),
  lastUserMessage: z.string().nullable().optional(),
  cwd: z.string().nullable().optional(),
  file: z.string().min(1),
  modifiedAt: z.number(),
  model: z.string().nullable().optional(),
  thinkingLevel: z.string().nullable().optional(),
  leafEntryId: z.string().nullable().optional(),
  messageCount: z.number().int().nonnegative(),
});
const PiWithMessages = PiSummary.extend({ messages: z.array(PiMessage), activeEntryIds: z.array(z.string().min(1)) });
export type PiTranscript = z.infer<typeof PiWithMessages>;
export type PiSummary = z.infer<typeof PiSummary>;

export const ListPiSessionsAnswer = z.union([
  z.object({ success: z.literal(true), sessions: z.array(z.union([PiWithMessages, PiSummary])) }),
  z.object({ success: z.literal(false), error: z.string() }),
]);

/** HAPI's texts for the imports. */
export const IMPORT_TEXTS = {
  codexNamespace: 'Codex transcript import is not available outside the default namespace',
  codexNoMachine: 'No online machine available for Codex history import',
  codexNoMachineArchive: 'No online machine available for Codex history archive',
  codexNoneSelected: '未选择需要导入的 Codex 会话',
  codexDesktopMissing: '尝试重启codex客户端失败，未安装/找不到codex客户端',
  piNoMachine: 'No online machine available for Pi history import',
  piNoneSelected: 'No Pi sessions selected',
} as const;

const asRecord = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** The metadata HAPI gives a session imported from a Codex thread (existing fields kept). */
export function codexSessionMetadata(t: CodexTranscript, existing: Record<string, unknown> | null, machine: { id: string; host: string | null; platform: string | null } | null, yolo: boolean): Record<string, unknown> {
  const now = Date.now();
  const e = existing ?? {};
  const summaryText = t.lastUserMessage ?? t.title;
  const machineId = typeof e.machineId === 'string' ? e.machineId : machine?.id;
  return {
    ...e,
    path: t.cwd ?? (typeof e.path === 'string' ? e.path : t.file.replace(/[\\/][^\\/]*$/, '')),
    host: typeof e.host === 'string' ? e.host : (machine?.host ?? machine?.id ?? 'unknown'),
    os: typeof e.os === 'string' ? e.os : (machine?.platform ?? 'linux'),
    name: t.title,
    summary: summaryText ? { text: summaryText, updatedAt: now } : e.summary,
    flavor: 'codex',
    codexSessionId: typeof e.codexSessionId === 'string' ? e.codexSessionId : t.id,
    codexSourceSessionId: typeof e.codexSourceSessionId === 'string' ? e.codexSourceSessionId : t.id,
    ...(yolo ? { preferredPermissionMode: 'yolo' } : {}),
    ...(machineId ? { machineId } : {}),
    lifecycleState: typeof e.lifecycleState === 'string' ? e.lifecycleState : 'imported',
    lifecycleStateSince: typeof e.lifecycleStateSince === 'number' ? e.lifecycleStateSince : now,
  };
}

/** The import state HAPI records on a Pi session while and after importing it. */
export interface PiImportState {
  state: 'importing' | 'complete' | 'failed' | 'diverged';
  machineId: string;
  piSessionId: string;
  sourceFile: string;
  startedAt: number;
  updatedAt: number;
  leafEntryId: string | null;
  error?: string;
}

/** The metadata HAPI gives a session imported from a Pi session (existing fields kept). */
export function piSessionMetadata(t: PiTranscript, machine: { id: string; host: string | null; platform: string | null }, existing: Record<string, unknown>, state: PiImportState): Record<string, unknown> {
  const summaryText = t.lastUserMessage ?? t.title;
  return {
    ...existing,
    path: t.cwd ?? (typeof existing.path === 'string' ? existing.path : t.file.replace(/[\\/][^\\/]*$/, '')),
    host: typeof existing.host === 'string' ? existing.host : (machine.host ?? machine.id),
    os: typeof existing.os === 'string' ? existing.os : (machine.platform ?? 'linux'),
    name: typeof existing.name === 'string' ? existing.name : t.title,
    summary: summaryText ? { text: summaryText, updatedAt: Date.now() } : undefined,
    machineId: machine.id,
    flavor: 'pi',
    piSessionId: t.id,
    lifecycleState: typeof existing.lifecycleState === 'string' ? existing.lifecycleState : 'archived',
    lifecycleStateSince: typeof existing.lifecycleStateSince === 'number' ? existing.lifecycleStateSince : Date.now(),
    archivedBy: typeof existing.archivedBy === 'string' ? existing.archivedBy : 'pi-import',
    archiveReason: typeof existing.archiveReason === 'string' ? existing.archiveReason : 'Imported from local Pi history',
    conversationHistoryEntryIds: asRecord(existing.conversationHistoryEntryIds) ?? {},
    conversationHistoryPoints: asRecord(existing.conversationHistoryPoints) ?? {},
    piImportState: state,
  };
}

/** Content compared across imports: the message as stored, keys in a stable order. */
export function comparableContent(content: unknown): string {
  const stable = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(stable);
    const r = asRecord(v);
    if (!r) return v;
    return Object.fromEntries(Object.keys(r).sort().map((k) => [k, stable(r[k])]));
  };
  return JSON.stringify(stable(content));
}
