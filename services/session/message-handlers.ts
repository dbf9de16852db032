import { namespaced, type ServiceHandlers } from '../../lib/grpc/server.js';
import {
  PageDirection,
  type MessagePosition as ProtoPosition,
  type SessionServiceService,
} from '../../lib/gen/teamhub/session/v1/session.js';
import type { MessagesPage } from './message-page.js';
import type { MessageQueue } from './message-queue.js';
import { fromProtoDeliveryState, toProtoMessage } from './proto-map.js';
import type { MessagePosition } from './store.js';

type MessageRpcs =
  | 'getMessagesPage'
  | 'listDeliverableMessages'
  | 'findMessage'
  | 'cancelQueuedMessage'
  | 'setMessagesDeliveryState'
  | 'claimIndeterminateMessage'
  | 'getQueuedState'
  | 'syncNativeQueuedMessage'
  | 'sweepQueuedMessages';

const DIRECTION = { latest: PageDirection.PAGE_DIRECTION_LATEST, before: PageDirection.PAGE_DIRECTION_BEFORE, after: PageDirection.PAGE_DIRECTION_AFTER } as const;
const pos = (p: ProtoPosition | undefined): MessagePosition | undefined => (p ? { at: p.at, seq: p.seq } : undefined);
const opt = (p: MessagePosition | null): ProtoPosition | undefined => p ?? undefined;

function toProtoPage(p: MessagesPage) {
  return {
    messages: p.messages.map(toProtoMessage),
    direction: DIRECTION[p.direction],
    limit: p.limit,
    epoch: p.epoch,
    reset: p.reset,
    nextBefore: opt(p.nextBefore),
    nextAfter: opt(p.nextAfter),
    snapshotHead: opt(p.snapshotHead),
    hasMore: p.hasMore,
  };
}

/** The message queue's gRPC handlers: proto in, MessageQueue call with the call's context, proto out. */
export function messageHandlers(queue: MessageQueue): Pick<ServiceHandlers<typeof SessionServiceService>, MessageRpcs> {
  return {
    getMessagesPage: namespaced(async (req, ctx) =>
      toProtoPage(await queue.page(ctx, req.sessionId, { limit: req.limit, before: pos(req.before), after: pos(req.after), until: pos(req.until), epoch: req.epoch })),
    ),
    listDeliverableMessages: namespaced(async (req, ctx) => ({
      messages: (await queue.deliverable(ctx, req.sessionId, { afterSeq: req.afterSeq, limit: req.limit, queuedOnly: req.queuedOnly })).map(toProtoMessage),
    })),
    findMessage: namespaced(async (req, ctx) => {
      const m = await queue.find(ctx, req.sessionId, req.messageId);
      return { message: m ? toProtoMessage(m) : undefined };
    }),
    cancelQueuedMessage: namespaced(async (req, ctx) => {
      const { cancelled, message } = await queue.cancel(ctx, req.sessionId, req.messageId);
      return { cancelled, message: message ? toProtoMessage(message) : undefined };
    }),
    setMessagesDeliveryState: namespaced(async (req, ctx) => ({
      localIds: await queue.setDeliveryState(ctx, req.sessionId, req.localIds, fromProtoDeliveryState(req.state)),
    })),
    claimIndeterminateMessage: namespaced(async (req, ctx) => {
      const m = await queue.claimIndeterminate(ctx, req.sessionId, req.messageId);
      return { message: m ? toProtoMessage(m) : undefined };
    }),
    getQueuedState: namespaced(async (req, ctx) => {
      const s = await queue.queuedState(ctx, req.sessionId, req.localIds);
      return { queuedLocalIds: s.queuedLocalIds, indeterminateLocalIds: s.indeterminateLocalIds, invoked: s.invoked };
    }),
    syncNativeQueuedMessage: namespaced(async (req, ctx) => {
      const { message, removed } = await queue.syncNative(ctx, req.sessionId, req.localId, req.contentJson);
      return { message: message ? toProtoMessage(message) : undefined, removed };
    }),
    sweepQueuedMessages: namespaced(async (req, ctx) => ({ localIds: await queue.sweepOnEnd(ctx, req.sessionId, req.at) })),
  };
}
