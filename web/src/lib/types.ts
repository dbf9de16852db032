// The HAPI web API shapes the page reads (reference §3.3). Only the fields the page uses.

export interface SessionMetadata {
  path?: string;
  host?: string;
  name?: string;
  flavor?: string | null;
  machineId?: string;
  summary?: { text?: string };
  [key: string]: unknown;
}

export interface PermissionRequest {
  tool?: string;
  arguments?: unknown;
  createdAt?: number;
}

export interface AgentState {
  requests?: Record<string, PermissionRequest>;
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
  seq: number;
  localId: string | null;
  content: unknown;
  createdAt: number;
  invokedAt?: number | null;
}

export interface MessagePage {
  limit: number;
  beforeSeq: number | null;
  nextBeforeSeq: number | null;
  hasMore: boolean;
}

export type SpawnResult = { type: 'success'; sessionId: string } | { type: 'error'; message: string; code?: string };

export interface DirectoryEntry {
  name: string;
  type: string;
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
}
