import { hubScoped, namespaced, namespacedOrHub, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { NotifyServiceService, WorkEvent } from '../../lib/gen/teamhub/notify/v1/notify.js';
import { AppError } from '../../lib/errors.js';
import type { HubSettings, NotifyDomain, WorkEventInput } from './domain.js';
import { toProtoWorkEvent, toProtoWorkLink } from './proto-map.js';
import type { DeviceRecord } from './store.js';

const PLATFORMS: ReadonlySet<string> = new Set(['phone', 'wear', 'ios']);
const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function platformOf(p: string): DeviceRecord['platform'] {
  if (!PLATFORMS.has(p)) throw new AppError('invalid_argument', 'platform must be phone, wear or ios');
  return p as DeviceRecord['platform'];
}

function workEventInput(e: WorkEvent | undefined): WorkEventInput {
  if (!e) throw new AppError('invalid_argument', 'event is required');
  return {
    sourceKind: e.sourceKind,
    sourceRef: e.sourceRef,
    sinkKind: orNull(e.sinkKind),
    sinkRef: orNull(e.sinkRef),
    eventType: e.eventType,
    summary: orNull(e.summary),
    payloadJson: orNull(e.payloadJson),
    artifactRefsJson: e.artifactRefsJson || '[]',
    tagsJson: JSON.stringify(e.tags),
    relatedSessionId: orNull(e.relatedSessionId),
    relatedEventId: orNull(e.relatedEventId),
    provenance: orNull(e.provenance),
    idempotencyKey: orNull(e.idempotencyKey),
    dedupeKey: orNull(e.dedupeKey),
    confidence: orNull(e.confidence),
    severity: orNull(e.severity),
    expiresAt: orNull(e.expiresAt),
    principalJson: e.principalJson,
  };
}

const settingsOut = (s: HubSettings) => ({ settings: { sessionSummaryContract: s.sessionSummaryContract, sessionSummaryInChat: s.sessionSummaryInChat } });

/** gRPC handlers: proto in, domain call with the call's context, proto out. No rules live here. */
export function notifyHandlers(domain: NotifyDomain): ServiceHandlers<typeof NotifyServiceService> {
  return {
    getVapidPublicKey: namespaced(async () => ({ publicKey: (await domain.vapidKeys()).publicKey })),
    subscribePush: namespaced(async (req, ctx) => {
      await domain.subscribe(ctx, { endpoint: req.endpoint, p256dh: req.p256dh, auth: req.auth });
      return {};
    }),
    unsubscribePush: namespaced(async (req, ctx) => ({ removed: await domain.unsubscribe(ctx, req.endpoint) })),
    registerDevice: namespaced(async (req, ctx) => {
      await domain.registerDevice(ctx, { token: req.token, platform: platformOf(req.platform), deviceId: req.deviceId, pushKey: orNull(req.pushKey) });
      return {};
    }),
    unregisterDevice: namespaced(async (req, ctx) => ({ removed: await domain.unregisterDevice(ctx, req.token) })),
    getHubSettings: namespacedOrHub(async (_req, ctx) => settingsOut(await domain.hubSettings(ctx))),
    setHubSettings: hubScoped(async (req, ctx) => {
      const patch: Partial<HubSettings> = {};
      if (req.sessionSummaryContract !== undefined) patch.sessionSummaryContract = req.sessionSummaryContract;
      if (req.sessionSummaryInChat !== undefined) patch.sessionSummaryInChat = req.sessionSummaryInChat;
      return settingsOut(await domain.setHubSettings(ctx, patch));
    }),
    recordWorkEvent: namespaced(async (req, ctx) => {
      const { event, inserted } = await domain.recordWorkEvent(ctx, workEventInput(req.event));
      return { event: toProtoWorkEvent(event), inserted };
    }),
    getWorkEvent: namespaced(async (req, ctx) => ({ event: toProtoWorkEvent(await domain.workEvent(ctx, req.id)) })),
    listWorkEvents: namespaced(async (req, ctx) => ({ events: (await domain.workEventsOfSession(ctx, req.relatedSessionId, req.limit)).map(toProtoWorkEvent) })),
    linkWorkEvents: namespaced(async (req, ctx) => ({
      link: toProtoWorkLink(await domain.linkWorkEvents(ctx, { fromEventId: req.fromEventId, toEventId: req.toEventId, relationType: req.relationType, metadataJson: orNull(req.metadataJson) })),
    })),
    listWorkEventLinks: namespaced(async (req, ctx) => ({ links: (await domain.workLinks(ctx, req.eventId)).map(toProtoWorkLink) })),
  };
}
