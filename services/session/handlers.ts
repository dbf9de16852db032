import { namespaced, type ServiceHandlers } from '../../lib/grpc/server.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { SessionServiceService, UpdateSessionDocRequest, UpdateSessionDocResponse } from '../../lib/gen/teamhub/session/v1/session.js';
import type { RequestContext } from '../../lib/grpc/server.js';
import type { SessionDomain } from './domain.js';
import type { VersionedDoc } from './store.js';
import { toProtoMessage, toProtoSession } from './proto-map.js';

const undefIfNull = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** gRPC handlers: proto in, domain call, proto out. The namespace always comes from ctx. */
export function sessionHandlers(domain: SessionDomain): ServiceHandlers<typeof SessionServiceService> {
  const updateDoc = (doc: VersionedDoc) =>
    namespaced(async (req: UpdateSessionDocRequest, ctx: RequestContext): Promise<UpdateSessionDocResponse> => {
      const out = await domain.updateDoc(ctx.namespace, req.id, doc, req.expectedVersion, req.json, req.origin);
      return {
        result: out.ok ? CasResult.CAS_RESULT_SUCCESS : CasResult.CAS_RESULT_VERSION_MISMATCH,
        version: out.version,
        json: undefIfNull(out.json),
        session: toProtoSession(out.session),
      };
    });

  return {
    createOrLoadSession: namespaced(async (req, ctx) => {
      const { session, created } = await domain.createOrLoad(ctx.namespace, {
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
    getSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.get(ctx.namespace, req.id)) })),
    listSessions: namespaced(async (_req, ctx) => ({ sessions: (await domain.list(ctx.namespace)).map(toProtoSession) })),
    updateMetadata: updateDoc('metadata'),
    updateAgentState: updateDoc('agentState'),
    setSessionActive: namespaced(async (req, ctx) => {
      const { session, changed } = await domain.setActive(ctx.namespace, req.id, req.active, req.at);
      return { session: toProtoSession(session), changed };
    }),
    setSessionThinking: namespaced(async (req, ctx) => {
      const { session, changed } = await domain.setThinking(ctx.namespace, req.id, req.thinking, req.at);
      return { session: toProtoSession(session), changed };
    }),
    endSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.end(ctx.namespace, req.id, req.reason)) })),
    renameSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.rename(ctx.namespace, req.id, req.name)) })),
    archiveSession: namespaced(async (req, ctx) => ({ session: toProtoSession(await domain.archive(ctx.namespace, req.id)) })),
    deleteSession: namespaced(async (req, ctx) => {
      await domain.delete(ctx.namespace, req.id);
      return {};
    }),
    appendMessage: namespaced(async (req, ctx) => {
      const { message, created } = await domain.appendMessage(ctx.namespace, {
        sessionId: req.sessionId,
        contentJson: req.contentJson,
        localId: req.localId,
        createdAt: req.createdAt,
        invoked: req.invoked,
        origin: req.origin,
      });
      return { message: toProtoMessage(message), created };
    }),
    listMessages: namespaced(async (req, ctx) => {
      const page = await domain.listMessages(ctx.namespace, req.sessionId, { afterSeq: req.afterSeq, beforeSeq: req.beforeSeq, limit: req.limit });
      return { messages: page.messages.map(toProtoMessage), hasMore: page.hasMore };
    }),
    markMessagesConsumed: namespaced(async (req, ctx) => domain.markConsumed(ctx.namespace, req.sessionId, req.localIds, req.at)),
  };
}
