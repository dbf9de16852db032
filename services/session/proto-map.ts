import { MessageDeliveryState, type Message, type Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { DeliveryState, MessageRecord, SessionRecord } from './store.js';

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Stored session → proto Session (null → absent optional). */
export function toProtoSession(r: SessionRecord): Session {
  return {
    id: r.id,
    namespace: r.namespace,
    tag: r.tag,
    seq: r.seq,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    active: r.active,
    activeAt: r.activeAt,
    metadataJson: opt(r.metadataJson),
    metadataVersion: r.metadataVersion,
    agentStateJson: opt(r.agentStateJson),
    agentStateVersion: r.agentStateVersion,
    thinking: r.thinking,
    thinkingAt: r.thinkingAt,
    activeTurnStartedAt: opt(r.activeTurnStartedAt),
    backgroundTaskCount: r.backgroundTaskCount,
    todosUpdatedAt: r.todosUpdatedAt,
    teamStateUpdatedAt: r.teamStateUpdatedAt,
    model: opt(r.model),
    modelReasoningEffort: opt(r.modelReasoningEffort),
    effort: opt(r.effort),
    serviceTier: opt(r.serviceTier),
    hasConversationContent: r.hasConversationContent,
    pinned: r.pinned,
    todosJson: opt(r.todosJson),
    teamStateJson: opt(r.teamStateJson),
    lastMessageSeq: r.lastMessageSeq,
    archived: r.archived,
    permissionMode: opt(r.permissionMode),
    collaborationMode: opt(r.collaborationMode),
    copilotAgentMode: opt(r.copilotAgentMode),
    globalPinned: r.globalPinned,
  };
}

export function toProtoMessage(m: MessageRecord): Message {
  return {
    id: m.id,
    sessionId: m.sessionId,
    seq: m.seq,
    createdAt: m.createdAt,
    localId: opt(m.localId),
    contentJson: m.contentJson,
    invokedAt: opt(m.invokedAt),
    scheduledAt: opt(m.scheduledAt),
    deliveryState: m.deliveryState === 'queued' ? undefined : toProtoDeliveryState(m.deliveryState),
    deliveryMode: opt(m.deliveryMode),
  };
}

const DELIVERY_STATE: Record<DeliveryState, MessageDeliveryState> = {
  queued: MessageDeliveryState.MESSAGE_DELIVERY_STATE_QUEUED,
  dispatching: MessageDeliveryState.MESSAGE_DELIVERY_STATE_DISPATCHING,
  indeterminate: MessageDeliveryState.MESSAGE_DELIVERY_STATE_INDETERMINATE,
};

export function toProtoDeliveryState(s: DeliveryState): MessageDeliveryState {
  return DELIVERY_STATE[s];
}

/** Proto → record state; unset (or unknown) means queued. */
export function fromProtoDeliveryState(s: MessageDeliveryState | undefined): DeliveryState {
  if (s === MessageDeliveryState.MESSAGE_DELIVERY_STATE_DISPATCHING) return 'dispatching';
  if (s === MessageDeliveryState.MESSAGE_DELIVERY_STATE_INDETERMINATE) return 'indeterminate';
  return 'queued';
}
