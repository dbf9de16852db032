import { z } from 'zod';
import { AgentAvailabilityResponse, CursorChatStoreStatus, PermissionAnswers, PermissionDecision, PermissionMode } from './hapi-shapes.js';

/*
 * The 49 RPC methods HAPI 0.30.7's hub relays to a CLI (session scope) or runner (machine scope),
 * read from hub/src/sync/rpcGateway.ts and the callers in hub/src/sync/syncEngine.ts and
 * hub/src/web/routes/*.ts; the answers are what the CLI's handlers return (cli/src/modules/common/
 * handlers/*, cli/src/api/apiMachine.ts, the agent launchers).
 *
 * Wire: the hub emits `rpc-request {method: "<sessionId|machineId>:<name>", params: JSON string}`
 * with an ack callback to the one socket that registered that method name; the CLI answers with a
 * JSON string (errors become `{"error": "<message>"}`). HAPI's registry is global: the method name is
 * the only key, so whichever socket registered `<id>:<name>` last receives the call, whatever its
 * namespace. teamhub routes by namespace and only lets a socket register its own session or machine.
 */

export type RpcScope = 'session' | 'machine';

export interface RpcMethodSpec {
  scope: RpcScope;
  /** The method name after `<id>:`. */
  method: string;
  /** What the params JSON holds when the hub sends it (keys set to undefined are dropped by JSON). */
  params: z.ZodType;
  /** A schema-valid answer, as the real CLI or runner would give; stand-ins send it. */
  ack: (params: any) => unknown;
  /** What the answer must look like for HAPI to use it. */
  ackSchema: z.ZodType;
  /** What the hub does with the answer. */
  hubUse: string;
  /** The routes (`METHOD /path`) or flows that send it. */
  triggeredBy: string[];
  /** The ack timeout the hub waits before failing the call. */
  timeoutMs: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MODEL_LIST_TIMEOUT_MS = 120_000;

const ModelCatalog = z.object({
  success: z.literal(true),
  availableModels: z.array(z.object({ modelId: z.string() }).passthrough()),
  currentModelId: z.string().nullable().optional(),
});
const modelCatalog = () => ({ success: true, availableModels: [{ modelId: 'stand-in-model', name: 'Stand-in model' }], currentModelId: 'stand-in-model' });
const EffortOptions = z.object({ success: z.literal(true), options: z.array(z.unknown()), currentValue: z.string().nullable().optional() }).passthrough();
const effortOptions = () => ({ success: true, options: [{ value: 'medium', name: 'Medium' }], currentValue: 'medium' });
const CodexModels = z.object({
  success: z.literal(true),
  models: z.array(z.object({ id: z.string(), displayName: z.string(), isDefault: z.boolean() }).passthrough()),
});
const codexModels = () => ({
  success: true,
  models: [{ id: 'gpt-stand-in', displayName: 'GPT stand-in', isDefault: true, defaultReasoningEffort: 'medium', supportedReasoningEfforts: [], serviceTiers: [] }],
});
const GitOutput = z.object({ success: z.literal(true), stdout: z.string(), stderr: z.string(), exitCode: z.number() });
const Empty = z.object({}).strict();
const Cwd = z.object({ cwd: z.string() }).strict();

export const SESSION_RPC_METHODS: RpcMethodSpec[] = [
  {
    scope: 'session',
    method: 'permission',
    params: z.union([
      z.object({ id: z.string(), approved: z.literal(true), mode: PermissionMode.optional(), allowTools: z.array(z.string()).optional(), decision: PermissionDecision.optional(), answers: PermissionAnswers.optional() }).strict(),
      z.object({ id: z.string(), approved: z.literal(false), decision: PermissionDecision.optional() }).strict(),
    ]),
    ack: () => ({ ok: true }),
    ackSchema: z.unknown(),
    hubUse: 'awaited and ignored; the CLI later moves the request to agentState.completedRequests with update-state',
    triggeredBy: ['POST /api/sessions/:id/permissions/:requestId/approve', 'POST /api/sessions/:id/permissions/:requestId/deny', 'Telegram Approve/Deny buttons'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'abort',
    params: z.object({ reason: z.string() }).strict(),
    ack: () => null,
    ackSchema: z.unknown(),
    hubUse: 'awaited and ignored; HAPI sends `reason: "User aborted via Telegram Bot"` for web aborts too, and the CLI handlers ignore the params',
    triggeredBy: ['POST /api/sessions/:id/abort'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'switch',
    params: z.object({ to: z.literal('remote') }).strict(),
    ack: () => null,
    ackSchema: z.unknown(),
    hubUse: 'awaited and ignored; a thrown error (ack `{error}` is not an error to HAPI) surfaces only as a timeout',
    triggeredBy: ['POST /api/sessions/:id/switch'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'set-session-config',
    params: z
      .object({
        permissionMode: PermissionMode.optional(),
        model: z.union([z.string(), z.object({ provider: z.string(), modelId: z.string() })]).nullable().optional(),
        modelReasoningEffort: z.string().nullable().optional(),
        effort: z.string().nullable().optional(),
        serviceTier: z.enum(['fast', 'standard']).optional(),
        collaborationMode: z.enum(['default', 'plan']).optional(),
        copilotAgentMode: z.enum(['interactive', 'plan', 'autopilot']).optional(),
      })
      .strict(),
    ack: (params) => ({ applied: { ...(params as object) } }),
    ackSchema: z.object({ applied: z.record(z.string(), z.unknown()) }),
    hubUse: '`{applied}` must hold every requested key or the route answers 409 `Session did not apply <key>`; `{error}` → 409 with that text; the applied values are stored and broadcast as session-updated',
    triggeredBy: [
      'POST /api/sessions/:id/permission-mode',
      'POST /api/sessions/:id/collaboration-mode',
      'POST /api/sessions/:id/copilot-agent-mode',
      'POST /api/sessions/:id/model',
      'POST /api/sessions/:id/model-reasoning-effort',
      'POST /api/sessions/:id/effort',
      'POST /api/sessions/:id/service-tier',
    ],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'killSession',
    params: Empty,
    ack: () => ({ success: true, message: 'Killing hapi CLI process' }),
    ackSchema: z.unknown(),
    hubUse: 'awaited; then the hub ends the session itself (session-ended). With no CLI registered it marks the session archived "Archived from hub (CLI unreachable)"',
    triggeredBy: ['POST /api/sessions/:id/archive', 'POST /api/sessions/:id/migrate-to-acp (archive of a running source)'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'handoff-local',
    params: Empty,
    ack: () => ({ ok: true }),
    ackSchema: z.unknown(),
    hubUse: 'awaited; then the hub waits up to 15 s for the session to go inactive (the CLI exits with session-end reason handoff)',
    triggeredBy: ['POST /cli/sessions/:id/handoff-local'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'git-status',
    params: Cwd,
    ack: () => ({ success: true, stdout: '# branch.head main\n', stderr: '', exitCode: 0 }),
    ackSchema: GitOutput,
    hubUse: 'returned to the web as is (RPC failure becomes 200 `{success:false, error}`)',
    triggeredBy: ['GET /api/sessions/:id/git-status'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'git-diff-numstat',
    params: z.object({ cwd: z.string(), staged: z.boolean().optional() }).strict(),
    ack: () => ({ success: true, stdout: '1\t0\tREADME.md\n', stderr: '', exitCode: 0 }),
    ackSchema: GitOutput,
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/git-diff-numstat'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'git-diff-file',
    params: z.object({ cwd: z.string(), filePath: z.string(), staged: z.boolean().optional() }).strict(),
    ack: () => ({ success: true, stdout: 'diff --git a/README.md b/README.md\n+hello\n', stderr: '', exitCode: 0 }),
    ackSchema: GitOutput,
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/git-diff-file'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'readFile',
    params: z.object({ path: z.string() }).strict(),
    ack: () => ({ success: true, content: Buffer.from('hello\n').toString('base64'), size: 6, modified: 1_700_000_000_000 }),
    ackSchema: z.object({ success: z.literal(true), content: z.string(), size: z.number(), modified: z.number() }),
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/file'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'readGeneratedImage',
    params: z.object({ id: z.string() }).strict(),
    ack: () => ({ success: true, content: Buffer.from('GIF89a').toString('base64'), mimeType: 'image/gif', fileName: 'image.gif' }),
    ackSchema: z.object({ success: z.literal(true), content: z.string(), mimeType: z.string().optional(), fileName: z.string().optional() }),
    hubUse: 'decoded and answered as the raw bytes with its Content-Type, ETag "<id>", immutable caching; failure → 404 `{success:false, error}`',
    triggeredBy: ['GET /api/sessions/:id/generated-images/:imageId'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'listDirectory',
    params: z.object({ path: z.string() }).strict(),
    ack: () => ({ success: true, entries: [{ name: 'src', type: 'directory', size: 4096, modified: 1_700_000_000_000 }, { name: 'README.md', type: 'file', size: 6, modified: 1_700_000_000_000 }] }),
    ackSchema: z.object({
      success: z.literal(true),
      entries: z.array(z.object({ name: z.string(), type: z.enum(['file', 'directory', 'other']), size: z.number().optional(), modified: z.number().optional() })),
    }),
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/directory'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'statFiles',
    params: z.object({ paths: z.array(z.string()) }).strict(),
    ack: (params) => ({ success: true, entries: ((params as { paths?: string[] }).paths ?? []).map((p) => ({ path: p, size: 6, modified: 1_700_000_000_000 })) }),
    ackSchema: z.object({ success: z.literal(true), entries: z.array(z.object({ path: z.string(), size: z.number().optional(), modified: z.number().optional() })) }),
    hubUse: 'merged into the file list as size/modified',
    triggeredBy: ['GET /api/sessions/:id/files (after ripgrep)'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'uploadFile',
    params: z.object({ sessionId: z.string(), filename: z.string(), content: z.string(), mimeType: z.string() }).strict(),
    ack: (params) => ({ success: true, path: `/tmp/hapi-blobs/stand-in/${(params as { filename: string }).filename}` }),
    ackSchema: z.object({ success: z.literal(true), path: z.string() }),
    hubUse: 'returned as is; the hub stores nothing itself',
    triggeredBy: ['POST /api/sessions/:id/upload'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'deleteUpload',
    params: z.object({ sessionId: z.string(), path: z.string() }).strict(),
    ack: () => ({ success: true }),
    ackSchema: z.object({ success: z.literal(true) }),
    hubUse: 'returned as is',
    triggeredBy: ['POST /api/sessions/:id/upload/delete'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'ripgrep',
    params: z.object({ args: z.array(z.string()), cwd: z.string(), fileSearch: z.object({ query: z.string(), limit: z.number() }).strict() }).strict(),
    ack: () => ({ success: true, exitCode: 0, stdout: 'src/index.ts\nREADME.md\n', stderr: '' }),
    ackSchema: z.object({ success: z.literal(true), exitCode: z.number(), stdout: z.string(), stderr: z.string() }),
    hubUse: 'stdout lines become the file list (filtered by the query, cut at the limit), then statFiles adds sizes',
    triggeredBy: ['GET /api/sessions/:id/files'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'listSlashCommands',
    params: z.object({ agent: z.string() }).strict(),
    ack: () => ({ success: true, commands: [{ name: 'review', description: 'Review the diff', source: 'project' }] }),
    ackSchema: z.object({ success: z.literal(true), commands: z.array(z.object({ name: z.string(), description: z.string().optional(), source: z.string() }).passthrough()) }),
    hubUse: 'merged with metadata.slashCommands (as source builtin) by name',
    triggeredBy: ['GET /api/sessions/:id/slash-commands'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'listSkills',
    params: z.object({ flavor: z.string() }).strict(),
    ack: () => ({ success: true, skills: [{ name: 'tdd', description: 'Write the test first' }] }),
    ackSchema: z.object({ success: z.literal(true), skills: z.array(z.object({ name: z.string(), description: z.string().optional() })) }),
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/skills'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  { scope: 'session', method: 'listCodexModels', params: Empty, ack: codexModels, ackSchema: CodexModels, hubUse: 'returned as is', triggeredBy: ['GET /api/sessions/:id/codex-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  { scope: 'session', method: 'listCursorModels', params: Empty, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/sessions/:id/cursor-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  { scope: 'session', method: 'listOpencodeModels', params: Empty, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/sessions/:id/opencode-models'], timeoutMs: DEFAULT_TIMEOUT_MS },
  {
    scope: 'session',
    method: 'listOpencodeReasoningEffortOptions',
    params: Empty,
    ack: () => ({ ...effortOptions(), currentModelId: 'stand-in-model', targetModelId: 'stand-in-model' }),
    ackSchema: EffortOptions,
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/opencode-reasoning-effort-options'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'listGrokModels',
    params: Empty,
    ack: () => ({ ...modelCatalog(), autoPermissionModeSupported: false }),
    ackSchema: ModelCatalog,
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/sessions/:id/grok-models'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  { scope: 'session', method: 'listGrokReasoningEffortOptions', params: Empty, ack: effortOptions, ackSchema: EffortOptions, hubUse: 'returned as is', triggeredBy: ['GET /api/sessions/:id/grok-reasoning-effort-options'], timeoutMs: DEFAULT_TIMEOUT_MS },
  { scope: 'session', method: 'listCopilotModels', params: Empty, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/sessions/:id/copilot-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  { scope: 'session', method: 'listPiModels', params: Empty, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/sessions/:id/pi-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  {
    scope: 'session',
    method: 'steer-queued-message',
    params: z.object({ localId: z.string() }).strict(),
    ack: () => ({ steered: true }),
    ackSchema: z.object({ steered: z.boolean(), error: z.string().optional() }),
    hubUse: '`steered:true` → 200 `{status:"steered", localId}`; otherwise `{status:"failed", error}`',
    triggeredBy: ['POST /api/sessions/:id/messages/:messageId/steer'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'session',
    method: 'fork-conversation',
    params: z.object({ messageLocalId: z.string().optional() }).strict(),
    ack: () => ({ nativeSessionId: 'native-fork-stand-in' }),
    ackSchema: z.object({ nativeSessionId: z.string(), sessionId: z.string().optional(), forkSession: z.boolean().optional() }),
    hubUse: 'without `sessionId` the hub creates the child session itself, copies the transcript prefix and spawns it on the source machine with spawn-happy-session (resumeSessionId = nativeSessionId, existingSessionId = child id); with `sessionId` (shared runtimes) it validates that child',
    triggeredBy: ['POST /api/sessions/:id/fork'],
    timeoutMs: 120_000,
  },
  {
    scope: 'session',
    method: 'rewind-conversation',
    params: z.object({ messageLocalId: z.string() }).strict(),
    ack: (params) => ({ success: true, truncateFromLocalId: (params as { messageLocalId: string }).messageLocalId, messages: [] }),
    ackSchema: z.union([
      z.object({ success: z.literal(true), truncateFromLocalId: z.string().optional(), messages: z.array(z.unknown()).optional() }),
      z.object({ success: z.literal(false), error: z.string(), code: z.string().optional() }),
    ]),
    hubUse: 'success → messages from truncateFromLocalId on are deleted (the ack `messages` are stored instead) and SSE messages-invalidated {reason:"rewind"}; a thrown/timeout RPC marks the history diverged and answers 500 hydrateFailed',
    triggeredBy: ['POST /api/sessions/:id/rewind'],
    timeoutMs: 120_000,
  },
  {
    scope: 'session',
    method: 'clear-conversation',
    params: Empty,
    ack: () => ({ sessionId: 'replace-with-child-session-id' }),
    ackSchema: z.object({ sessionId: z.string() }),
    hubUse: 'the child must be a different, shared (concurrentClients) session on the same machine and hostPid with a codexSessionId, within 5 s; the route answers `{sessionId}` of that child',
    triggeredBy: ['POST /api/sessions/:id/clear'],
    timeoutMs: 120_000,
  },
  {
    scope: 'session',
    method: 'implement-codex-plan',
    params: z.object({ planId: z.string() }).strict(),
    ack: () => ({ ok: true }),
    ackSchema: z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), code: z.string(), error: z.string() })]),
    hubUse: 'returned as is; `ok:false` maps code indeterminate → 503, failed → 502, anything else → 409; a failed RPC → 503 indeterminate',
    triggeredBy: ['POST /api/sessions/:id/codex/plan/implement'],
    timeoutMs: 60_000,
  },
];

export const MACHINE_RPC_METHODS: RpcMethodSpec[] = [
  {
    scope: 'machine',
    method: 'spawn-happy-session',
    params: z
      .object({
        type: z.literal('spawn-in-directory'),
        directory: z.string(),
        agent: z.string(),
        model: z.string().optional(),
        modelReasoningEffort: z.string().optional(),
        yolo: z.boolean().optional(),
        sessionType: z.enum(['simple', 'worktree']).optional(),
        worktreeName: z.string().optional(),
        resumeSessionId: z.string().optional(),
        effort: z.string().optional(),
        permissionMode: PermissionMode.optional(),
        serviceTier: z.string().optional(),
        existingSessionId: z.string().optional(),
        sessionId: z.string().optional(),
        collaborationMode: z.string().optional(),
        copilotAgentMode: z.string().optional(),
        startingMode: z.enum(['remote', 'pty']).optional(),
        forkSession: z.boolean(),
      })
      .strict(),
    ack: () => ({ type: 'success', sessionId: 'stand-in-spawned-session' }),
    ackSchema: z.union([
      z.object({ type: z.literal('success'), sessionId: z.string() }),
      z.object({ type: z.literal('error'), errorMessage: z.string(), code: z.string().optional(), agent: z.string().optional() }),
      z.object({ type: z.literal('requestToApproveDirectoryCreation'), directory: z.string() }),
    ]),
    hubUse: 'normalised to `{type:"success", sessionId}` or `{type:"error", message, code?: agent_unavailable|outside_workspace_roots, agent?}`, always HTTP 200 on the spawn route',
    triggeredBy: ['POST /api/machines/:id/spawn', 'POST /api/sessions/:id/resume|reopen of an inactive session', 'POST /api/sessions/:id/fork'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'stop-session',
    params: z.object({ sessionId: z.string() }).strict(),
    ack: () => ({ status: 'stopped' }),
    ackSchema: z.object({ status: z.enum(['stopped', 'already_gone', 'still_alive']) }),
    hubUse: 'anything but those three statuses is an error ("Unexpected stop-session response")',
    triggeredBy: ['failed fork cleanup', 'Pi/PTY resume rollback', 'recovery of an interrupted OpenCode /clear'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'stop-runner',
    params: Empty,
    ack: () => ({ message: 'Runner stop request acknowledged' }),
    ackSchema: z.unknown(),
    hubUse: 'awaited and ignored; the route answers its own message',
    triggeredBy: ['POST /api/machines/:id/restart-runner'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'list-directory',
    params: z.object({ path: z.string(), includeHidden: z.boolean().optional() }).strict(),
    ack: () => ({ success: true, entries: [{ name: 'project', type: 'directory', isGitRepo: true }] }),
    ackSchema: z.object({ success: z.literal(true), entries: z.array(z.object({ name: z.string(), type: z.string(), size: z.number().optional(), modified: z.number().optional(), isGitRepo: z.boolean().optional() })) }),
    hubUse: 'returned as is when it is an object',
    triggeredBy: ['POST /api/machines/:id/list-directory'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'path-exists',
    params: z.object({ paths: z.array(z.string()) }).strict(),
    ack: (params) => ({ exists: Object.fromEntries(((params as { paths?: string[] }).paths ?? []).map((p) => [p, true])) }),
    ackSchema: z.object({ exists: z.record(z.string(), z.boolean()), outsideWorkspaceRoots: z.array(z.string()).optional() }),
    hubUse: 'values coerced to booleans (`=== true`); outsideWorkspaceRoots kept when non-empty',
    triggeredBy: ['POST /api/machines/:id/paths/exists'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'agent-availability',
    params: Empty,
    ack: () => ({ agents: [{ agent: 'claude', available: true }, { agent: 'codex', available: false, reason: 'not_found' }] }),
    ackSchema: AgentAvailabilityResponse,
    hubUse: 'parsed with AgentAvailabilityResponseSchema (a mismatch → 500)',
    triggeredBy: ['GET /api/machines/:id/agent-availability'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'cursor-chat-store-status',
    params: z.object({ workspacePath: z.string(), cursorSessionId: z.string(), homeDir: z.string().optional() }).strict(),
    ack: () => ({ onDisk: true, store: 'acp' }),
    ackSchema: CursorChatStoreStatus,
    hubUse: 'parsed with CursorChatStoreStatusSchema; a failure → 502 probe_failed',
    triggeredBy: ['GET /api/sessions/:id/cursor-chat-store', 'resume of a Cursor session'],
    timeoutMs: DEFAULT_TIMEOUT_MS,
  },
  { scope: 'machine', method: 'listCodexModels', params: Empty, ack: codexModels, ackSchema: CodexModels, hubUse: 'returned as is', triggeredBy: ['GET /api/machines/:id/codex-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  {
    scope: 'machine',
    method: 'listCodexSessions',
    params: z.object({ cwd: z.string().nullable(), sessionIds: z.array(z.string()).optional() }).strict(),
    ack: () => ({ success: true, sessions: [{ id: 'codex-local-1', title: 'Stand-in Codex thread', file: '/srv/codex/sessions/1.jsonl', modifiedAt: 1_700_000_000_000 }] }),
    ackSchema: z.union([z.object({ success: z.literal(true), sessions: z.array(z.object({ id: z.string(), title: z.string(), file: z.string(), modifiedAt: z.number() }).passthrough()) }), z.object({ success: z.literal(false), error: z.string() })]),
    hubUse: 'parsed with ListCodexSessionsRpcResponseSchema; summaries listed without messages',
    triggeredBy: ['GET /api/codex/sessions', 'POST /api/codex/sync-session'],
    timeoutMs: MODEL_LIST_TIMEOUT_MS,
  },
  {
    scope: 'machine',
    method: 'archiveCodexSession',
    params: z.object({ sessionId: z.string() }).strict(),
    ack: () => ({ success: true, archivedPath: '/srv/codex/archived_sessions/1.jsonl' }),
    ackSchema: z.union([z.object({ success: z.literal(true), archivedPath: z.string() }), z.object({ success: z.literal(false), error: z.string() })]),
    hubUse: 'parsed with ArchiveCodexSessionRpcResponseSchema',
    triggeredBy: ['POST /api/codex/archive-session'],
    timeoutMs: MODEL_LIST_TIMEOUT_MS,
  },
  { scope: 'machine', method: 'listCursorModels', params: Empty, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/machines/:id/cursor-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  {
    scope: 'machine',
    method: 'listPiSessions',
    params: z.object({ cwd: z.string().nullable(), sessionIds: z.array(z.string()).optional() }).strict(),
    ack: () => ({ success: true, sessions: [{ id: 'pi-local-1', title: 'Stand-in Pi session', file: '/srv/pi/1.jsonl', modifiedAt: 1_700_000_000_000, messageCount: 0 }] }),
    ackSchema: z.union([z.object({ success: z.literal(true), sessions: z.array(z.object({ id: z.string(), title: z.string(), file: z.string(), modifiedAt: z.number(), messageCount: z.number() }).passthrough()) }), z.object({ success: z.literal(false), error: z.string() })]),
    hubUse: 'parsed with ListPiSessionsRpcResponseSchema; listed with hapiSessionId/importState of already imported ones',
    triggeredBy: ['GET /api/pi/sessions', 'POST /api/pi/import-sessions'],
    timeoutMs: MODEL_LIST_TIMEOUT_MS,
  },
  { scope: 'machine', method: 'listPiModelsForMachine', params: Empty, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/machines/:id/pi-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
  {
    scope: 'machine',
    method: 'listAgyModels',
    params: z.object({ refresh: z.boolean() }).strict(),
    ack: () => ({ success: true, availableModels: [{ modelId: 'gemini-3.7-flash-medium', name: 'Gemini 3.7 Flash (Medium)' }] }),
    ackSchema: ModelCatalog,
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/machines/:id/agy-models'],
    timeoutMs: MODEL_LIST_TIMEOUT_MS,
  },
  { scope: 'machine', method: 'listOpencodeModelsForCwd', params: Cwd, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/machines/:id/opencode-models'], timeoutMs: DEFAULT_TIMEOUT_MS },
  {
    scope: 'machine',
    method: 'listOpencodeModelVariants',
    params: z.object({ cwd: z.string().nullable() }).strict(),
    ack: () => ({ success: true, variants: { 'anthropic/claude': ['high', 'low'] } }),
    ackSchema: z.object({ success: z.literal(true), variants: z.unknown() }),
    hubUse: 'returned as is',
    triggeredBy: ['GET /api/machines/:id/opencode-model-variants'],
    timeoutMs: MODEL_LIST_TIMEOUT_MS,
  },
  { scope: 'machine', method: 'listGrokModelsForCwd', params: Cwd, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/machines/:id/grok-models'], timeoutMs: DEFAULT_TIMEOUT_MS },
  { scope: 'machine', method: 'listCopilotModelsForCwd', params: Cwd, ack: modelCatalog, ackSchema: ModelCatalog, hubUse: 'returned as is', triggeredBy: ['GET /api/machines/:id/copilot-models'], timeoutMs: MODEL_LIST_TIMEOUT_MS },
];

export const RPC_METHODS: RpcMethodSpec[] = [...SESSION_RPC_METHODS, ...MACHINE_RPC_METHODS];

/** The spec of `<scope>:<method>`; throws for a method HAPI does not relay. */
export function rpcMethod(scope: RpcScope, method: string): RpcMethodSpec {
  const spec = RPC_METHODS.find((m) => m.scope === scope && m.method === method);
  if (!spec) throw new Error(`HAPI relays no ${scope} RPC ${method}`);
  return spec;
}

/**
 * `RPC_METHODS` entries the CLI registers but the hub never calls (they exist for other clients
 * of the CLI's RPC manager), so they are not part of the hub surface.
 */
export const CLI_ONLY_RPC_METHODS = ['writeFile', 'getDirectoryTree', 'difftastic', 'bash'];
