import { z } from 'zod';

/*
 * HAPI 0.30.7's wire shapes as zod schemas, transcribed from the hub's shared package
 * (shared/src/schemas.ts, apiTypes.ts, resume.ts, socket.ts, sessionSummary.ts). Objects keep zod's
 * default "strip" mode, as HAPI's own clients parse them: an extra key passes, a missing or
 * mistyped key fails. Where HAPI answers with a plain object its handler builds, the schema lists
 * exactly the keys that handler writes.
 */

export const PERMISSION_MODES = [
  'default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan', 'ask', 'debug', 'autoReview',
  'read-only', 'safe-yolo', 'yolo', 'request-review', 'always-proceed',
] as const;
export const AGENT_FLAVORS = ['agy', 'claude', 'codex', 'dsh', 'copilot', 'cursor', 'gemini', 'grok', 'kimi', 'opencode', 'pi'] as const;

export const PermissionMode = z.enum(PERMISSION_MODES);
export const AgentFlavor = z.enum(AGENT_FLAVORS);
export const CollaborationMode = z.enum(['default', 'plan']);
/** `fleet` is an old name HAPI still accepts and turns into `interactive`. */
export const CopilotAgentMode = z.union([z.enum(['interactive', 'plan', 'autopilot']), z.literal('fleet').transform(() => 'interactive' as const)]);
export const SessionEndReason = z.enum(['completed', 'terminated', 'error', 'handoff', 'cleared']);
export const PermissionDecision = z.enum(['approved', 'approved_for_session', 'denied', 'abort']);
export const PermissionAnswers = z.union([z.record(z.string(), z.array(z.string())), z.record(z.string(), z.object({ answers: z.array(z.string()) }))]);

const OpencodeClearOperation = z.object({
  replacementSessionId: z.string(),
  state: z.enum(['reserved', 'abort-needed', 'cleanup-confirmed', 'finalizing', 'pending', 'failed', 'completed', 'aborted']),
  updatedAt: z.number(),
  error: z.string().optional(),
});

export const SessionCapabilities = z.object({
  concurrentClients: z.boolean().optional(),
  terminal: z.boolean().optional(),
  conversationHistory: z
    .object({ forkCurrent: z.boolean().optional(), forkAtMessage: z.boolean().optional(), rewindToMessage: z.boolean().optional() })
    .optional(),
});

/** Session metadata: `path` and `host` are required, everything else optional. */
export const Metadata = z.object({
  path: z.string(),
  host: z.string(),
  version: z.string().optional(),
  name: z.string().optional(),
  os: z.string().optional(),
  summary: z.object({ text: z.string(), updatedAt: z.number() }).optional(),
  machineId: z.string().optional(),
  claudeSessionId: z.string().optional(),
  forkedFrom: z.string().optional(),
  codexSessionId: z.string().optional(),
  codexSourceSessionId: z.string().optional(),
  geminiSessionId: z.string().optional(),
  opencodeSessionId: z.string().optional(),
  grokSessionId: z.string().optional(),
  agySessionId: z.string().optional(),
  cursorSessionId: z.string().optional(),
  cursorSessionProtocol: z.enum(['acp', 'stream-json']).optional(),
  cursorMigrationState: z.enum(['in_progress', 'ambiguous']).optional(),
  kimiSessionId: z.string().optional(),
  copilotSessionId: z.string().optional(),
  piSessionId: z.string().optional(),
  piResumeAttempt: z.unknown().optional(),
  ptyResumeAttempt: z.unknown().optional(),
  tools: z.array(z.string()).optional(),
  slashCommands: z.array(z.string()).optional(),
  homeDir: z.string().optional(),
  happyHomeDir: z.string().optional(),
  happyLibDir: z.string().optional(),
  happyToolsDir: z.string().optional(),
  startedFromRunner: z.boolean().optional(),
  hostPid: z.number().optional(),
  hapiMcpUrl: z.string().url().optional(),
  startedBy: z.enum(['runner', 'terminal']).optional(),
  lifecycleState: z.string().optional(),
  lifecycleStateSince: z.number().optional(),
  archivedBy: z.string().optional(),
  archiveReason: z.string().optional(),
  supersededBySessionId: z.string().optional(),
  opencodeClearOperation: OpencodeClearOperation.optional(),
  preferredPermissionMode: PermissionMode.optional(),
  preferredCopilotAgentMode: CopilotAgentMode.optional(),
  flavor: z.string().nullish(),
  startingMode: z.enum(['local', 'remote', 'pty']).nullish(),
  capabilities: SessionCapabilities.optional(),
  conversationHistoryPoints: z.record(z.string(), z.literal(true)).optional(),
  conversationHistoryIndexes: z.record(z.string(), z.number().int().nonnegative()).optional(),
  conversationHistoryTurns: z.record(z.string(), z.string().min(1)).optional(),
  conversationHistoryEntryIds: z.record(z.string(), z.string().min(1)).optional(),
  piHistoryLeafEntryId: z.string().optional(),
  piImportState: z.unknown().optional(),
  conversationHistoryDiverged: z.boolean().optional(),
  worktree: z.object({ basePath: z.string(), branch: z.string(), name: z.string(), worktreePath: z.string().optional(), createdAt: z.number().optional() }).optional(),
  piAvailableModels: z.array(z.object({ modelId: z.string() }).passthrough()).optional(),
  piSelectedModel: z.object({ provider: z.string(), modelId: z.string() }).nullable().optional(),
});

const AgentStateRequest = z.object({ tool: z.string(), toolCallId: z.string().optional(), arguments: z.unknown(), createdAt: z.number().nullish() });
const AgentStateCompletedRequest = AgentStateRequest.extend({
  completedAt: z.number().nullish(),
  status: z.enum(['canceled', 'denied', 'approved', 'resolved']),
  reason: z.string().optional(),
  mode: z.string().optional(),
  decision: PermissionDecision.optional(),
  allowTools: z.array(z.string()).optional(),
  answers: PermissionAnswers.optional(),
});
export const AgentState = z.object({
  controlledByUser: z.boolean().nullish(),
  codexPlanProposalId: z.string().nullish(),
  steeringActive: z.boolean().nullish(),
  startingMode: z.enum(['local', 'remote', 'pty']).nullish(),
  requests: z.record(z.string(), AgentStateRequest).nullish(),
  completedRequests: z.record(z.string(), AgentStateCompletedRequest).nullish(),
});

const TodoItem = z.object({
  content: z.string(),
  status: z.enum(['pending', 'in_progress', 'completed']),
  priority: z.enum(['high', 'medium', 'low']).optional(),
  id: z.string().optional(),
  activeForm: z.string().optional(),
});
const TeamState = z.object({
  teamName: z.string(),
  description: z.string().optional(),
  members: z.array(z.object({ name: z.string(), agentType: z.string().optional(), status: z.enum(['active', 'idle', 'shutdown']).optional() })).optional(),
  tasks: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  updatedAt: z.number().optional(),
});

export const AttachmentMetadata = z.object({
  id: z.string(),
  filename: z.string(),
  mimeType: z.string(),
  size: z.number(),
  path: z.string(),
  previewUrl: z.string().optional(),
});

/** A message as the web API shows it (`DecryptedMessageSchema`). */
export const DecryptedMessage = z.object({
  id: z.string(),
  seq: z.number().nullable(),
  localId: z.string().nullable(),
  content: z.unknown(),
  createdAt: z.number(),
  invokedAt: z.number().nullable().optional(),
  scheduledAt: z.number().nullable().optional(),
  deliveryState: z.literal('indeterminate').optional(),
  steered: z.boolean().optional(),
});

/** The full session (`SessionSchema`): what `/cli/sessions` and `GET /api/sessions/:id` return. */
export const Session = z.object({
  hasConversationContent: z.boolean().optional(),
  id: z.string(),
  namespace: z.string(),
  seq: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  pinned: z.boolean().optional(),
  globalPinned: z.boolean().optional(),
  active: z.boolean(),
  activeAt: z.number().nullish(),
  metadata: Metadata.nullable(),
  metadataVersion: z.number(),
  agentState: AgentState.nullable(),
  agentStateVersion: z.number(),
  thinking: z.boolean(),
  thinkingAt: z.number(),
  activeTurnStartedAt: z.number().nullable().optional(),
  backgroundTaskCount: z.number().optional(),
  todos: z.array(TodoItem).optional(),
  teamState: TeamState.optional(),
  todosUpdatedAt: z.number().optional(),
  teamStateUpdatedAt: z.number().optional(),
  model: z.string().nullable().optional(),
  modelReasoningEffort: z.string().nullable().optional(),
  effort: z.string().nullable().optional(),
  serviceTier: z.string().nullable().optional(),
  permissionMode: PermissionMode.optional(),
  collaborationMode: CollaborationMode.optional(),
  copilotAgentMode: CopilotAgentMode.optional(),
});

/** One row of `GET /api/sessions` (`toSessionSummary` plus the two scheduled-message fields). */
export const SessionSummary = z.object({
  hasConversationContent: z.boolean(),
  id: z.string(),
  active: z.boolean(),
  thinking: z.boolean(),
  activeAt: z.number().nullish(),
  updatedAt: z.number(),
  pinned: z.boolean(),
  globalPinned: z.boolean(),
  metadata: z
    .object({
      name: z.string().optional(),
      path: z.string(),
      machineId: z.string().optional(),
      summary: z.object({ text: z.string() }).optional(),
      flavor: z.string().nullable(),
      worktree: z.unknown().optional(),
      agentSessionId: z.string().optional(),
      lifecycleState: z.string().optional(),
      hapiMcpUrl: z.string().optional(),
    })
    .nullable(),
  metadataVersion: z.number(),
  agentStateVersion: z.number(),
  todosUpdatedAt: z.number(),
  todoProgress: z.object({ completed: z.number(), total: z.number() }).nullable(),
  pendingRequestsCount: z.number(),
  pendingRequestKinds: z.array(z.enum(['permission', 'input'])),
  pendingRequests: z.array(z.object({ id: z.string(), kind: z.enum(['permission', 'input']), tool: z.string(), since: z.number() })),
  backgroundTaskCount: z.number(),
  futureScheduledMessageCount: z.number(),
  nextScheduledAt: z.number().nullable(),
  model: z.string().nullable().optional(),
  modelReasoningEffort: z.string().nullable().optional(),
  effort: z.string().nullable().optional(),
});

export const MachineMetadata = z.object({
  host: z.string(),
  platform: z.string(),
  happyCliVersion: z.string(),
  displayName: z.string().optional(),
  homeDir: z.string().optional(),
  happyHomeDir: z.string().optional(),
  happyLibDir: z.string().optional(),
  workspaceRoots: z.array(z.string()).optional(),
  capabilities: z.array(z.string()).optional(),
  startedCliMtimeMs: z.number().optional(),
  installedCliMtimeMs: z.number().optional(),
  supervisedRestart: z.boolean().optional(),
});
export const RunnerState = z.object({
  status: z.string(),
  pid: z.number().optional(),
  httpPort: z.number().optional(),
  startedAt: z.number().optional(),
  capabilities: z.unknown().optional(),
  shutdownRequestedAt: z.number().optional(),
  shutdownSource: z.string().optional(),
  lastSpawnError: z.unknown().optional(),
});
export const MachineHealth = z
  .object({
    collectedAt: z.number(),
    cpuCount: z.number().int().positive().optional(),
    load1m: z.number().nonnegative().optional(),
    cpuPercent: z.number().min(0).max(100).optional(),
    memoryPercent: z.number().min(0).max(100).optional(),
    uptimeSeconds: z.number().nonnegative().optional(),
  })
  .strict();
export const Machine = z.object({
  id: z.string(),
  namespace: z.string(),
  seq: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  active: z.boolean(),
  activeAt: z.number(),
  metadata: MachineMetadata.nullable(),
  metadataVersion: z.number(),
  runnerState: RunnerState.nullable(),
  runnerStateVersion: z.number(),
  health: MachineHealth.nullable().optional(),
});

const VersionedMetadata = z.object({ version: z.number(), value: Metadata.nullable() });
const VersionedAgentState = z.object({ version: z.number(), value: AgentState.nullable() });
/** A partial session in `session-updated` (`SessionPatchSchema`, strict: no other key). */
export const SessionPatch = z
  .object({
    active: z.boolean().optional(),
    thinking: z.boolean().optional(),
    activeTurnStartedAt: z.number().nullable().optional(),
    activeAt: z.number().optional(),
    updatedAt: z.number().optional(),
    metadata: VersionedMetadata.optional(),
    agentState: VersionedAgentState.optional(),
    todos: z.object({ version: z.number(), value: z.array(TodoItem) }).optional(),
    teamState: z.object({ version: z.number(), value: TeamState.nullable() }).optional(),
    model: z.string().nullable().optional(),
    modelReasoningEffort: z.string().nullable().optional(),
    effort: z.string().nullable().optional(),
    serviceTier: z.string().nullable().optional(),
    permissionMode: PermissionMode.optional(),
    collaborationMode: CollaborationMode.optional(),
    copilotAgentMode: CopilotAgentMode.optional(),
    backgroundTaskCount: z.number().optional(),
    scratchlistUpdatedAt: z.number().optional(),
  })
  .strict();
export const MachinePatch = z.object({ active: z.boolean().optional(), activeAt: z.number().optional(), updatedAt: z.number().optional() }).strict();

export const ScratchlistAttachment = z.object({ id: z.string(), filename: z.string(), mimeType: z.string(), size: z.number(), path: z.string() });
export const ScratchlistEntry = z.object({
  entryId: z.string().min(1),
  text: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  attachments: z.array(ScratchlistAttachment).optional(),
});

/** What `/cli/sessions/:id/resume-target` returns (shared/src/resume.ts). */
export const LocalResumeTarget = z.object({
  sessionId: z.string().min(1),
  flavor: AgentFlavor,
  directory: z.string().min(1),
  machineId: z.string().optional(),
  host: z.string().optional(),
  active: z.boolean(),
  thinking: z.boolean(),
  controlledByUser: z.boolean(),
  agentSessionId: z.string().min(1),
  model: z.string().nullable().optional(),
  effort: z.string().nullable().optional(),
  modelReasoningEffort: z.string().nullable().optional(),
  serviceTier: z.string().nullable().optional(),
  permissionMode: PermissionMode.optional(),
  collaborationMode: CollaborationMode.optional(),
  copilotAgentMode: CopilotAgentMode.optional(),
});
export const ResumableSession = LocalResumeTarget.extend({
  updatedAt: z.number(),
  name: z.string().optional(),
  summary: z.string().optional(),
  firstUserMessage: z.string().optional(),
});

/** The cursor fields of `GET /api/sessions/:id/messages` (hub/src/sync/messageService.ts). */
export const MessagesPage = z.object({
  direction: z.enum(['latest', 'before', 'after']),
  limit: z.number(),
  epoch: z.number(),
  reset: z.boolean(),
  nextBeforeSeq: z.number().nullable(),
  nextBeforeAt: z.number().nullable(),
  nextAfterSeq: z.number().nullable(),
  nextAfterAt: z.number().nullable(),
  snapshotHeadSeq: z.number().nullable(),
  snapshotHeadAt: z.number().nullable(),
  hasMore: z.boolean(),
});

/** `CancelMessageResponseSchema` and `SteerQueuedMessageResponseSchema`. */
export const CancelMessageResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('cancelled'), localId: z.string().nullable() }),
  z.object({ status: z.literal('invoked'), message: DecryptedMessage }),
  z.object({ status: z.literal('busy'), localId: z.string() }),
]);
export const SteerQueuedMessageResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('steered'), localId: z.string() }),
  z.object({ status: z.literal('invoked'), message: DecryptedMessage }),
  z.object({ status: z.literal('failed'), error: z.string(), localId: z.string().nullable() }),
]);
/** What `POST …/messages/:messageId/retry` answers (messageService.retryIndeterminateMessage). */
export const RetryMessageResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('not-found') }),
  z.object({ status: z.literal('invoked'), message: DecryptedMessage }),
  z.object({ status: z.literal('already-queued'), localId: z.string().nullable() }),
  z.object({ status: z.literal('retry-unavailable'), localId: z.string() }),
  z.object({ status: z.literal('retried'), localId: z.string() }),
]);

export const AgentAvailabilityResponse = z.object({
  agents: z.array(z.object({ agent: AgentFlavor, available: z.boolean(), reason: z.enum(['not_found', 'invalid_configuration']).optional() })),
});
export const CursorChatStoreStatus = z.object({ onDisk: z.boolean(), store: z.enum(['legacy', 'acp']).nullable() });

/** `{success:false, error}`: how the CLI and runner answer an RPC they could not do (rpcResponses.ts). */
export const RpcFailure = z.object({ success: z.literal(false), error: z.string() });

/** The web JWT login answer (`/api/auth`, `/api/bind`). */
export const AuthResponse = z.object({
  token: z.string().min(1),
  user: z.object({ id: z.number(), username: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional() }),
});

/** A work-graph event as the store returns it (hub/src/store/workGraph.ts, `toEvent`). */
export const WorkGraphEvent = z.object({
  id: z.string(),
  ts: z.number(),
  sourceKind: z.string(),
  sourceRef: z.string(),
  sinkKind: z.string().nullable(),
  sinkRef: z.string().nullable(),
  eventType: z.string(),
  summary: z.string().nullable(),
  payloadJson: z.unknown(),
  artifactRefs: z.array(z.unknown()),
  tags: z.array(z.string()),
  relatedSessionId: z.string().nullable(),
  relatedEventId: z.string().nullable(),
  provenance: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  dedupeKey: z.string().nullable(),
  confidence: z.number().nullable(),
  severity: z.string().nullable(),
  expiresAt: z.number().nullable(),
  namespace: z.string(),
  principal: z.object({ kind: z.enum(['human', 'agent', 'service']), id: z.string() }).passthrough(),
});
/** A work-graph link (`toLink`). */
export const WorkGraphLink = z.object({
  id: z.string(),
  fromEventId: z.string(),
  toEventId: z.string(),
  relationType: z.string(),
  createdAt: z.number(),
  metadataJson: z.unknown(),
  namespace: z.string(),
});

/** A HAPI error body: `{error}` plus an optional machine-readable `code`. */
export const ErrorBody = z.object({ error: z.string(), code: z.string().optional() });
export const OkTrue = z.object({ ok: z.literal(true) });
