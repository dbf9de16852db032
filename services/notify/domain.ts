import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import type { AnyCallContext, CallContext, HubCallContext } from '../../lib/context.js';
import { AppError } from '../../lib/errors.js';
import type { NotifyConfig } from './config.js';
import type { DeviceRecord, NotifyStore, PushSubscriptionRecord, WorkEventRecord, WorkLinkRecord } from './store.js';

/** The hub's VAPID key pair (URL-safe base64, as the web-push library makes them). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export interface HubSettings {
  sessionSummaryContract: boolean;
  sessionSummaryInChat: boolean;
}

const VAPID_RECORD = 'vapid-keys';
const SETTINGS_RECORD = 'hub-settings';
const DEFAULT_SETTINGS: HubSettings = { sessionSummaryContract: false, sessionSummaryInChat: false };

/** At most this many events in one list (HAPI's cap); 100 when the caller names none. */
const MAX_LIST = 500;
const DEFAULT_LIST = 100;

export type DomainLimits = Pick<NotifyConfig, 'maxPushSubscriptions' | 'maxDevices' | 'maxWorkEvents' | 'maxWorkLinks'>;

/** A work-graph event as a client asks to record it (the gateway checked HAPI's schema). */
export type WorkEventInput = Omit<WorkEventRecord, 'id' | 'namespace' | 'ts'>;

function parseSettings(json: string): HubSettings {
  try {
    const v = JSON.parse(json) as Partial<HubSettings>;
    return { sessionSummaryContract: v.sessionSummaryContract === true, sessionSummaryInChat: v.sessionSummaryInChat === true };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/**
 * The notify service's rules for what clients keep in it: push subscriptions and native devices
 * per namespace, each bounded; the hub's VAPID key pair, made once for every replica; the hub
 * settings (everyone reads, the hub scope writes); the work graph per namespace, bounded, its
 * links only between events of one namespace.
 */
export class NotifyDomain {
  private vapid: VapidKeys | null = null;

  constructor(
    private readonly store: NotifyStore,
    private readonly limits: DomainLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key pair, generated on first use and kept in the store, so every replica signs alike. */
  async vapidKeys(): Promise<VapidKeys> {
    if (this.vapid) return this.vapid;
    let rec = await this.store.getHubRecord(VAPID_RECORD);
    if (!rec) {
      const fresh = webpush.generateVAPIDKeys();
      await this.store.createHubRecord(VAPID_RECORD, JSON.stringify({ publicKey: fresh.publicKey, privateKey: fresh.privateKey }));
      rec = await this.store.getHubRecord(VAPID_RECORD);
    }
    const keys = JSON.parse(rec!.json) as VapidKeys;
    this.vapid = { publicKey: keys.publicKey, privateKey: keys.privateKey };
    return this.vapid;
  }

  async subscribe(ctx: CallContext, sub: Pick<PushSubscriptionRecord, 'endpoint' | 'p256dh' | 'auth'>): Promise<void> {
    const ns = ctx.namespace;
    if (!(await this.store.hasPushSubscription(ns, sub.endpoint)) && (await this.store.countPushSubscriptions(ns)) >= this.limits.maxPushSubscriptions) {
      throw new AppError('failed_precondition', `Too many push subscriptions in this namespace (limit ${this.limits.maxPushSubscriptions})`);
    }
    const { created } = await this.store.putPushSubscription(ns, { ...sub, namespace: ns, createdAt: this.now() });
    ctx.log.info({ created }, 'push subscription stored');
  }

  async unsubscribe(ctx: CallContext, endpoint: string): Promise<boolean> {
    const removed = await this.store.removePushSubscription(ctx.namespace, endpoint);
    if (removed) ctx.log.info('push subscription removed');
    return removed;
  }

  async registerDevice(ctx: CallContext, d: Pick<DeviceRecord, 'token' | 'platform' | 'deviceId' | 'pushKey'>): Promise<void> {
    const ns = ctx.namespace;
    if (!(await this.store.hasDevice(ns, d.deviceId, d.platform)) && (await this.store.countDevices(ns)) >= this.limits.maxDevices) {
      throw new AppError('failed_precondition', `Too many devices in this namespace (limit ${this.limits.maxDevices})`);
    }
    const at = this.now();
    await this.store.putDevice(ns, { ...d, namespace: ns, createdAt: at, updatedAt: at });
    ctx.log.info({ platform: d.platform }, 'device registered');
  }

  async unregisterDevice(ctx: CallContext, token: string): Promise<boolean> {
    const removed = await this.store.removeDevicesByToken(ctx.namespace, token);
    if (removed > 0) ctx.log.info({ removed }, 'device unregistered');
    return removed > 0;
  }

  async hubSettings(_ctx: AnyCallContext): Promise<HubSettings> {
    const rec = await this.store.getHubRecord(SETTINGS_RECORD);
    return rec ? parseSettings(rec.json) : { ...DEFAULT_SETTINGS };
  }

  /** Changes the given fields (compare-and-swap, so two writers both land). */
  async setHubSettings(ctx: HubCallContext, patch: Partial<HubSettings>): Promise<HubSettings> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const rec = await this.store.getHubRecord(SETTINGS_RECORD);
      const next = { ...(rec ? parseSettings(rec.json) : DEFAULT_SETTINGS), ...patch };
      const written = rec ? await this.store.updateHubRecord(SETTINGS_RECORD, JSON.stringify(next), rec.version) : await this.store.createHubRecord(SETTINGS_RECORD, JSON.stringify(next));
      if (written) {
        ctx.log.info({ settings: next }, 'hub settings changed');
        return next;
      }
    }
    throw new AppError('conflict', 'Hub settings are being changed concurrently; try again');
  }

  /** Records an event; with a known idempotency key answers the first event, `inserted` false. */
  async recordWorkEvent(ctx: CallContext, input: WorkEventInput): Promise<{ event: WorkEventRecord; inserted: boolean }> {
    const ns = ctx.namespace;
    if (input.idempotencyKey !== null) {
      const existing = await this.store.workEventByIdempotencyKey(ns, input.idempotencyKey);
      if (existing) return { event: existing, inserted: false };
    }
    if ((await this.store.countWorkEvents(ns)) >= this.limits.maxWorkEvents) {
      throw new AppError('failed_precondition', `The work graph of this namespace is full (limit ${this.limits.maxWorkEvents} events)`);
    }
    const rec: WorkEventRecord = { ...input, id: randomUUID(), namespace: ns, ts: this.now() };
    if ((await this.store.insertWorkEvent(ns, rec)) === 'duplicate') {
      const first = await this.store.workEventByIdempotencyKey(ns, input.idempotencyKey!);
      if (!first) throw new AppError('conflict', 'An event with this idempotency key is being recorded; try again');
      return { event: first, inserted: false };
    }
    ctx.log.info({ eventId: rec.id, eventType: rec.eventType }, 'work-graph event recorded');
    return { event: rec, inserted: true };
  }

  async workEvent(ctx: CallContext, id: string): Promise<WorkEventRecord> {
    const rec = await this.store.getWorkEvent(ctx.namespace, id);
    if (!rec) throw new AppError('not_found', 'Event not found');
    return rec;
  }

  async workEventsOfSession(ctx: CallContext, relatedSessionId: string, limit: number): Promise<WorkEventRecord[]> {
    const n = Math.min(Math.max(limit > 0 ? limit : DEFAULT_LIST, 1), MAX_LIST);
    return this.store.listWorkEventsBySession(ctx.namespace, relatedSessionId, n);
  }

  /** Links two events of the namespace; an id of another namespace is not found (HAPI's texts). */
  async linkWorkEvents(ctx: CallContext, input: Pick<WorkLinkRecord, 'fromEventId' | 'toEventId' | 'relationType' | 'metadataJson'>): Promise<WorkLinkRecord> {
    const ns = ctx.namespace;
    if (!(await this.store.getWorkEvent(ns, input.fromEventId))) throw new AppError('not_found', 'from_event_id not found in namespace', { details: { hapiCode: 'not_found' } });
    if (!(await this.store.getWorkEvent(ns, input.toEventId))) throw new AppError('not_found', 'to_event_id not found in namespace', { details: { hapiCode: 'not_found' } });
    if ((await this.store.countWorkLinks(ns)) >= this.limits.maxWorkLinks) {
      throw new AppError('failed_precondition', `The work graph of this namespace is full (limit ${this.limits.maxWorkLinks} links)`);
    }
    const rec: WorkLinkRecord = { ...input, id: randomUUID(), namespace: ns, createdAt: this.now() };
    await this.store.insertWorkLink(ns, rec);
    ctx.log.info({ linkId: rec.id }, 'work-graph link recorded');
    return rec;
  }

  async workLinks(ctx: CallContext, eventId: string): Promise<WorkLinkRecord[]> {
    await this.workEvent(ctx, eventId);
    return this.store.listWorkLinks(ctx.namespace, eventId);
  }
}
