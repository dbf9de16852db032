/**
 * HAPI's JSON for the message routes: the cursor page of `GET /api/sessions/:id/messages` and
 * the queued-state answer, built from the session service's proto answers.
 */
import { PageDirection, type GetMessagesPageResponse, type GetQueuedStateResponse } from '../../lib/gen/teamhub/session/v1/session.js';
import { toHapiMessage } from './session-view.js';

const DIRECTION: Record<PageDirection, string> = {
  [PageDirection.PAGE_DIRECTION_UNSPECIFIED]: 'latest',
  [PageDirection.PAGE_DIRECTION_LATEST]: 'latest',
  [PageDirection.PAGE_DIRECTION_BEFORE]: 'before',
  [PageDirection.PAGE_DIRECTION_AFTER]: 'after',
  [PageDirection.UNRECOGNIZED]: 'latest',
};

/** `{messages, page}` with every page field HAPI returns, in its order. */
export function toHapiMessagesPage(p: GetMessagesPageResponse): Record<string, unknown> {
  return {
    messages: p.messages.map((m) => toHapiMessage(m)),
    page: {
      direction: DIRECTION[p.direction],
      limit: p.limit,
      epoch: p.epoch,
      reset: p.reset,
      nextBeforeSeq: p.nextBefore?.seq ?? null,
      nextBeforeAt: p.nextBefore?.at ?? null,
      nextAfterSeq: p.nextAfter?.seq ?? null,
      nextAfterAt: p.nextAfter?.at ?? null,
      snapshotHeadSeq: p.snapshotHead?.seq ?? null,
      snapshotHeadAt: p.snapshotHead?.at ?? null,
      hasMore: p.hasMore,
    },
  };
}

export function toHapiQueuedState(s: GetQueuedStateResponse): Record<string, unknown> {
  return {
    queuedLocalIds: s.queuedLocalIds,
    indeterminateLocalIds: s.indeterminateLocalIds,
    invokedLocalMessages: s.invoked.map((i) => ({ localId: i.localId, invokedAt: i.invokedAt })),
  };
}
