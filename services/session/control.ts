import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { SessionDomain } from './domain.js';
import type { SessionEvents } from './events.js';
import type { SessionPatch, SessionRecord, SessionStore } from './store.js';

/** The runtime settings a CLI applies (`set-session-config`); null is HAPI's "back to the default". */
export interface SessionConfig {
  permissionMode?: string | null;
  model?: string | null;
  modelReasoningEffort?: string | null;
  effort?: string | null;
  serviceTier?: string | null;
  collaborationMode?: string | null;
  copilotAgentMode?: string | null;
}

export type PinMode = 'none' | 'project' | 'global';

const CONFIG_KEYS = ['permissionMode', 'model', 'modelReasoningEffort', 'effort', 'serviceTier', 'collaborationMode', 'copilotAgentMode'] as const;
const MAX_CONFIG_VALUE = 256;

/**
 * Per-session settings that are not client documents: what the CLI applied (model, effort,
 * permission mode…) and where the session is pinned. Like HAPI, neither moves `updatedAt`, so a
 * settings change does not reorder the list.
 */
export class SessionControl {
  constructor(
    private readonly store: SessionStore,
    private readonly events: SessionEvents,
    private readonly sessions: Pick<SessionDomain, 'require'>,
  ) {}

  /** Stores the settings given (absent ones stay); answers the session after the write. */
  async applyConfig(ctx: CallContext, id: string, config: SessionConfig): Promise<SessionRecord> {
    const patch: SessionPatch = {};
    for (const k of CONFIG_KEYS) {
      const v = config[k];
      if (v === undefined) continue;
      if (v !== null && v.length > MAX_CONFIG_VALUE) throw new AppError('invalid_argument', `${k} must be at most ${MAX_CONFIG_VALUE} characters`);
      patch[k] = v;
    }
    const current = await this.sessions.require(ctx, id);
    if (Object.keys(patch).length === 0) return current;
    const updated = await this.store.patchSession(ctx.namespace, id, patch);
    if (!updated) return this.sessions.require(ctx, id);
    ctx.log.info({ sessionId: id, keys: Object.keys(patch) }, 'session config applied');
    await this.events.sessionUpserted(ctx, updated);
    return updated;
  }

  /** HAPI's pin modes: `project` pins within the project, `global` in the whole list, `none` unpins. */
  async setPin(ctx: CallContext, id: string, mode: PinMode): Promise<SessionRecord> {
    const current = await this.sessions.require(ctx, id);
    const patch = { pinned: mode === 'project', globalPinned: mode === 'global' };
    if (current.pinned === patch.pinned && current.globalPinned === patch.globalPinned) return current;
    const updated = await this.store.patchSession(ctx.namespace, id, patch);
    if (!updated) return this.sessions.require(ctx, id);
    ctx.log.info({ sessionId: id, mode }, 'session pin changed');
    await this.events.sessionUpserted(ctx, updated);
    return updated;
  }
}
