import { namespaced, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { CallContext } from '../../lib/context.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import { SessionOrder, type SessionServiceService, type UpdateSessionDocRequest, type UpdateSessionDocResponse } from '../../lib/gen/teamhub/session/v1/session.js';
import type { SessionDomain } from './domain.js';
import { messageHandlers } from './message-handlers.js';
import type { MessageQueue } from './message-queue.js';
import type { DeliveryMode, VersionedDoc } from './store.js';
import type { ControlHandlers } from './control-handlers.js';
import { toProtoMessage, toProtoSession } from './proto-map.js';

const undefIfNull = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

const deliveryModeOf = (v: string | undefined): DeliveryMode | undefined => (v === 'steer' ? 'steer' : v === undefined ? undefined : 'queue');

/**
 * gRPC handlers: proto in, domain call with the call's context, proto out. No rules live here.
 * Settings and history RPCs are in control-handlers.ts, the message queue's in message-handlers.ts.
 */
export function sessionHandlers(domain: SessionDomain, queue: MessageQueue): Omit<ServiceHandlers<typeof SessionServiceService>, keyof ControlHandlers> {
  const updateDoc = (doc: VersionedDoc) =>
    namespaced(async (req: UpdateSessionDocRequest, ctx: CallContext): Promise<UpdateSessionDocResponse> => {
      const out = await domain.updateDoc(ctx, req.id, doc, req.expectedVersion, req.json, req.origin);
      return {
        result: out.ok ? CasResult.CAS_RESULT_SUCCESS : CasResult.CAS_RESULT_VERSION_MISMATCH,
        version: out.version,
        json: undefIfNull(out.json),
        session: toProtoSession(out.session),
      };
    });

  return {
    createOrLoadSession: namespaced(async (req, ctx) => {
      const { session, created } = await domain.createOrLoad(ctx, {
        id: req.id,
        tag: req.tag,
        metadataJson: req.metadataJson,
        agentStateJson: req.agentStateJson,
        model: req.model,
        modelReasoningEffort: req.modelReasoningEffort,
        effort: req.effort,
      });
      return { session: toProtoSession(session), created };
    }),
    getSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.get(ctx, req.id)) })),
    listSessions: namespaced(async (req, ctx) => {
      const order = req.order === SessionOrder.SESSION_ORDER_LIST ? 'list' : 'updatedAt';
      return { sessions: (await domain.list(ctx, { order, limit: req.limit ?? 0 })).map(toProtoSession), scheduled: await queue.futureScheduled(ctx) };
    }),
    updateMetadata: updateDoc('metadata'),
    updateAgentState: updateDoc('agentState'),
    setSessionActive: namespaced(async (req, ctx) => {
      const { session, changed } = await domain.setActive(ctx, req.id, req.active, req.at);
      return { session: toProtoSession(session), changed };
    }),
    setSessionThinking: namespaced(async (req, ctx) => {
      const { session, changed } = await domain.setThinking(ctx, req.id, req.thinking, req.at);
      return { session: toProtoSession(session), changed };
    }),
    endSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.end(ctx, req.id, req.reason)) })),
    renameSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.rename(ctx, req.id, req.name)) })),
    archiveSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.archive(ctx, req.id)) })),
    deleteSession: namespaced(async (req, ctx) => {
      await domain.delete(ctx, req.id);
      return {};
    }),
    appendMessage: namespaced(async (req, ctx) => {
      const { message, created } = await domain.appendMessage(ctx, {
        sessionId: req.sessionId,
        contentJson: req.contentJson,
        localId: req.localId,
        createdAt: req.createdAt,
        invoked: req.invoked,
        origin: req.origin,
        scheduledAt: req.scheduledAt,
        deliveryMode: deliveryModeOf(req.deliveryMode),
        requireActive: req.requireActive,
      });
      return { message: toProtoMessage(message), created };
    }),
    listMessages: namespaced(async (req, ctx) => {
      const page = await domain.listMessages(ctx, req.sessionId, { afterSeq: req.afterSeq, beforeSeq: req.beforeSeq, limit: req.limit });
      return { messages: page.messages.map(toProtoMessage), hasMore: page.hasMore };
    }),
    markMessagesConsumed: namespaced(async (req, ctx) => domain.markConsumed(ctx, req.sessionId, req.localIds, req.at, req.steered)),
    ...messageHandlers(queue),
  };
}
