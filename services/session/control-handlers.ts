import { namespaced, type ServiceHandlers } from '../../lib/grpc/server.js';
import { PinMode as ProtoPinMode, type NullableString, type SessionServiceService } from '../../lib/gen/teamhub/session/v1/session.js';
import { AppError } from '../../lib/errors.js';
import type { PinMode, SessionControl } from './control.js';
import type { ConversationHistory } from './history.js';
import { toProtoSession } from './proto-map.js';

type All = ServiceHandlers<typeof SessionServiceService>;
/** The RPCs of per-session settings and conversation history (control.ts, history.ts). */
export type ControlHandlers = Pick<All, 'applySessionConfig' | 'setSessionPin' | 'checkHistory' | 'truncateMessages' | 'copyMessages' | 'messageStats'>;

/** A present NullableString is a setting (its absent value is null); an absent one is no change. */
const setting = (v: NullableString | undefined): string | null | undefined => (v === undefined ? undefined : (v.value ?? null));

const PIN_MODES: Partial<Record<ProtoPinMode, PinMode>> = {
  [ProtoPinMode.PIN_MODE_NONE]: 'none',
  [ProtoPinMode.PIN_MODE_PROJECT]: 'project',
  [ProtoPinMode.PIN_MODE_GLOBAL]: 'global',
};

/** gRPC handlers: proto in, a control or history call with the call's context, proto out. */
export function controlHandlers(control: SessionControl, history: ConversationHistory): ControlHandlers {
  return {
    applySessionConfig: namespaced(async (req, ctx) => ({
      session: toProtoSession(
        await control.applyConfig(ctx, req.id, {
          permissionMode: setting(req.permissionMode),
          model: setting(req.model),
          modelReasoningEffort: setting(req.modelReasoningEffort),
          effort: setting(req.effort),
          serviceTier: setting(req.serviceTier),
          collaborationMode: setting(req.collaborationMode),
          copilotAgentMode: setting(req.copilotAgentMode),
        }),
      ),
    })),
    setSessionPin: namespaced(async (req, ctx) => {
      const mode = PIN_MODES[req.mode];
      if (!mode) throw new AppError('invalid_argument', 'mode must be none, project or global');
      return { session: toProtoSession(await control.setPin(ctx, req.id, mode)) };
    }),
    checkHistory: namespaced(async (req, ctx) => {
      const state = await history.check(ctx, req.sessionId, req.boundaryLocalId);
      return { queuedMessages: state.queued, boundaryInvoked: state.boundaryInvoked };
    }),
    truncateMessages: namespaced(async (req, ctx) => {
      const replacements = req.replacements.map((m) => ({
        contentJson: m.contentJson,
        createdAt: m.createdAt ?? Date.now(),
        localId: m.localId ?? null,
        invokedAt: m.invokedAt ?? m.createdAt ?? Date.now(),
      }));
      return history.truncate(ctx, req.sessionId, req.fromLocalId, replacements, req.reason);
    }),
    copyMessages: namespaced(async (req, ctx) => history.copy(ctx, req.fromSessionId, req.toSessionId, req.beforeLocalId)),
    messageStats: namespaced(async (req, ctx) => history.stats(ctx, req.sessionId)),
  };
}
