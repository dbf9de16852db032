// The HAPI web API shapes the page reads (HAPI 0.30.7's `/api` answers). Only the fields the page uses.

export interface SessionMetadata {
  path?: string;
  host?: string;
  name?: string;
  flavor?: string | null;
  machineId?: string;
  summary?: { text?: string };
  startedBy?: 'runner' | 'terminal';
  capabilities?: { terminal?: boolean; concurrentClients?: boolean };
  [key: string]: unknown;
}

export interface PermissionRequest {
  tool?: string;
  toolCallId?: string;
  arguments?: unknown;
  createdAt?: number;
}

export interface AgentState {
  requests?: Record<string, PermissionRequest>;
  /** True while the session is driven from its terminal (local mode). */
  controlledByUser?: boolean | null;
  [key: string]: unknown;
}

/** A session as the list and the session view keep it (full Session or SessionSummary). */
export interface Session {
  id: string;
  active: boolean;
  thinking: boolean;
  activeAt: number;
  updatedAt: number;
  createdAt?: number;
  metadata: SessionMetadata | null;
  agentState?: AgentState | null;
  pendingRequestsCount?: number;
  todos?: Todo[];
  model?: string | null;
  effort?: string | null;
  modelReasoningEffort?: string | null;
  permissionMode?: string;
  [key: string]: unknown;
}

export interface MachineMetadata {
  host?: string;
  displayName?: string;
  platform?: string;
  homeDir?: string;
  workspaceRoots?: string[];
  [key: string]: unknown;
}

export interface Machine {
  id: string;
  active: boolean;
  activeAt: number;
  metadata: MachineMetadata | null;
  runnerState?: { status?: string } | null;
}

export interface Message {
  id: string;
  seq: number | null;
  localId: string | null;
  content: unknown;
  createdAt: number;
  invokedAt?: number | null;
  scheduledAt?: number | null;
  deliveryState?: string;
  steered?: boolean;
}

export interface Todo {
  content: string;
  status: 'pending' | 'in_progress' | 'completed';
  priority?: string;
  id?: string;
}

/** RPC-backed routes answer 200 with `success:false` when the CLI could not do it. */
export type RpcResult<T = unknown> = ({ success: true } & T) | { success: false; error?: string };

export interface CodexModel {
  id: string;
  displayName?: string;
  isDefault?: boolean;
  defaultReasoningEffort?: string | null;
  supportedReasoningEfforts?: string[];
}

export interface AgentAvailability {
  agents: Array<{ agent: string; available: boolean; reason?: string }>;
}

export interface SpawnRequest {
  directory: string;
  agent?: string;
  model?: string;
  effort?: string;
  modelReasoningEffort?: string;
  permissionMode?: string;
}

export type SpawnResult = { type: 'success'; sessionId: string } | { type: 'error'; message: string; code?: string };

export interface DirectoryEntry {
  name: string;
  type: string;
  size?: number;
  modified?: number;
}

/** One SSE frame from `/api/events`. */
export interface SyncEvent {
  type: string;
  sessionId?: string;
  machineId?: string;
  data?: unknown;
  message?: Message;
  localIds?: string[];
  invokedAt?: number;
  steered?: boolean;
  messageId?: string;
  localId?: string;
}
