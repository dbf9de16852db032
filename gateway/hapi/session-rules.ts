/**
 * HAPI 0.30.7's per-agent rules for a session (shared/src/modes.ts and flavors.ts there): which
 * permission modes each agent has, which agents can switch model or effort, and the request
 * bodies of the per-session routes. The real web app and CLI send exactly these values.
 */
import { z } from 'zod';

export const AGENT_FLAVORS = ['agy', 'claude', 'codex', 'dsh', 'copilot', 'cursor', 'gemini', 'grok', 'kimi', 'opencode', 'pi'] as const;
export type AgentFlavor = (typeof AGENT_FLAVORS)[number];

export const PERMISSION_MODES = [
  'default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan', 'ask', 'debug', 'autoReview',
  'read-only', 'safe-yolo', 'yolo', 'request-review', 'always-proceed',
] as const;

const CODEX_LIKE = ['default', 'read-only', 'safe-yolo', 'yolo'] as const;
const MODES_BY_FLAVOR: Record<string, readonly string[]> = {
  agy: ['request-review', 'always-proceed'],
  claude: ['default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan'],
  codex: CODEX_LIKE,
  gemini: CODEX_LIKE,
  kimi: CODEX_LIKE,
  copilot: CODEX_LIKE,
  grok: ['default', 'auto', 'plan', 'bypassPermissions'],
  opencode: ['default', 'plan', 'yolo'],
  cursor: ['default', 'plan', 'ask', 'debug', 'autoReview', 'yolo'],
  dsh: [],
  pi: [],
};

/** The permission modes of an agent; an unknown flavor has Claude's (HAPI's fallback). */
export function permissionModesFor(flavor: string): readonly string[] {
  return MODES_BY_FLAVOR[flavor] ?? MODES_BY_FLAVOR.claude!;
}

export function isPermissionModeAllowed(mode: string, flavor: string): boolean {
  return permissionModesFor(flavor).includes(mode);
}

const MODEL_CHANGE = new Set(['agy', 'claude', 'gemini', 'kimi', 'copilot', 'grok', 'codex', 'cursor', 'opencode', 'pi']);
const EFFORT = new Set(['claude', 'grok', 'pi']);
export const supportsModelChange = (flavor: string): boolean => MODEL_CHANGE.has(flavor);
export const supportsEffort = (flavor: string): boolean => EFFORT.has(flavor);

/** HAPI's known flavors; anything else is treated as Claude where an agent must be named. */
export function knownFlavor(flavor: unknown): AgentFlavor {
  return typeof flavor === 'string' && (AGENT_FLAVORS as readonly string[]).includes(flavor) ? (flavor as AgentFlavor) : 'claude';
}

/** The metadata key of the agent's own session id for each flavor (dsh has none). */
export const AGENT_SESSION_ID_KEY: Record<AgentFlavor, string | null> = {
  claude: 'claudeSessionId',
  codex: 'codexSessionId',
  gemini: 'geminiSessionId',
  opencode: 'opencodeSessionId',
  grok: 'grokSessionId',
  agy: 'agySessionId',
  cursor: 'cursorSessionId',
  kimi: 'kimiSessionId',
  copilot: 'copilotSessionId',
  pi: 'piSessionId',
  dsh: null,
};

const PermissionMode = z.enum(PERMISSION_MODES);
const CopilotAgentMode = z.union([z.enum(['interactive', 'plan', 'autopilot']), z.literal('fleet').transform(() => 'interactive' as const)]);
const trimmedName = z.string().trim().min(1);

export const PermissionModeBody = z.object({ mode: PermissionMode });
export const ResumeBody = z.object({ permissionMode: PermissionMode.optional() });
export const CollaborationModeBody = z.object({ mode: z.enum(['default', 'plan']) });
export const CopilotAgentModeBody = z.object({ mode: CopilotAgentMode });
export const ModelBody = z.object({ model: z.union([trimmedName, z.object({ provider: trimmedName, modelId: trimmedName })]).nullable() });
export const ModelReasoningEffortBody = z.object({ modelReasoningEffort: trimmedName.nullable() });
export const EffortBody = z.object({ effort: trimmedName.nullable() });
export const ServiceTierBody = z.object({ serviceTier: z.enum(['fast', 'standard']) });
export const RenameBody = z.object({ name: z.string().min(1).max(255) });
export const SummaryBody = z.object({ text: z.string().trim().min(1).max(255) });
export const PinBody = z.object({ mode: z.enum(['none', 'project', 'global']) });
export const ForkBody = z.object({ messageLocalId: z.string().min(1).optional() });
export const RewindBody = z.object({ messageLocalId: z.string().min(1) });
export const ImplementPlanBody = z.object({ planId: z.string().min(1) });
export const MigrateToAcpBody = z.object({ keepSource: z.boolean().optional(), forceArchiveRunning: z.boolean().optional(), skipVerify: z.boolean().optional() });
export const ClearCallbackBody = z.object({ replacementSessionId: z.string() });
/** HAPI's permission approve body (the mode is then checked against the session's flavor). */
export const ApproveBody = z.object({
  mode: PermissionMode.optional(),
  allowTools: z.array(z.string()).optional(),
  decision: z.enum(['approved', 'approved_for_session', 'denied', 'abort']).optional(),
  answers: z.union([z.record(z.string(), z.array(z.string())), z.record(z.string(), z.object({ answers: z.array(z.string()) }))]).optional(),
});
export const DenyBody = z.object({ decision: z.enum(['approved', 'approved_for_session', 'denied', 'abort']).optional() });

/** `GET …/files?query&limit` (limit 1..500), `GET …/directory?path`, `…/file?path` / `…/git-diff-file?path`. */
const intText = (min: number, max: number) => z.string().regex(/^-?\d{1,15}$/).transform(Number).pipe(z.number().int().min(min).max(max));
export const FileSearchQuery = z.object({ query: z.string().optional(), limit: intText(1, 500).optional() });
export const DirectoryQuery = z.object({ path: z.string().optional() });
export const FilePathQuery = z.object({ path: z.string().min(1) });
