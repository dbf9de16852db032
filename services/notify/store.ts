import type { Namespace } from '../../lib/namespace.js';

/** A browser's Web Push subscription, kept per namespace; one per (namespace, endpoint). */
export interface PushSubscriptionRecord {
  namespace: Namespace;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: number;
}

/** A native app's push token (HAPI's Android, Wear and iOS apps); one per (namespace, deviceId, platform). */
export interface DeviceRecord {
  namespace: Namespace;
  token: string;
  platform: 'phone' | 'wear' | 'ios';
  deviceId: string;
  pushKey: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A hub-wide document (the VAPID key pair, the hub settings), JSON text with a CAS version. */
export interface HubRecord {
  name: string;
  json: string;
  version: number;
}

/** One work-graph event. Client JSON (payload, artifact refs, tags, principal) is kept as JSON text. */
export interface WorkEventRecord {
  id: string;
  namespace: Namespace;
  ts: number;
  sourceKind: string;
  sourceRef: string;
  sinkKind: string | null;
  sinkRef: string | null;
  eventType: string;
  summary: string | null;
  payloadJson: string | null;
  artifactRefsJson: string;
  tagsJson: string;
  relatedSessionId: string | null;
  relatedEventId: string | null;
  provenance: string | null;
  idempotencyKey: string | null;
  dedupeKey: string | null;
  confidence: number | null;
  severity: string | null;
  expiresAt: number | null;
  principalJson: string;
}

/** A directed link between two events of one namespace. */
export interface WorkLinkRecord {
  id: string;
  namespace: Namespace;
  fromEventId: string;
  toEventId: string;
  relationType: string;
  createdAt: number;
  metadataJson: string | null;
}

/**
 * The notify service's records. Every method takes the caller's namespace first and filters on
 * it, except the hub records (hub-wide by nature, like the auth service's secrets).
 */
export interface NotifyStore {
  /** Adds or replaces (same endpoint) a subscription; `created` false when it replaced one. */
  putPushSubscription(ns: Namespace, rec: PushSubscriptionRecord): Promise<{ created: boolean }>;
  hasPushSubscription(ns: Namespace, endpoint: string): Promise<boolean>;
  countPushSubscriptions(ns: Namespace): Promise<number>;
  removePushSubscription(ns: Namespace, endpoint: string): Promise<boolean>;
  /** Newest first. */
  listPushSubscriptions(ns: Namespace): Promise<PushSubscriptionRecord[]>;

  /**
   * Adds or updates the device (same deviceId and platform: new token and key) and drops any
   * other device of the namespace holding the same token (a token names one app install).
   */
  putDevice(ns: Namespace, rec: DeviceRecord): Promise<void>;
  hasDevice(ns: Namespace, deviceId: string, platform: DeviceRecord['platform']): Promise<boolean>;
  countDevices(ns: Namespace): Promise<number>;
  removeDevicesByToken(ns: Namespace, token: string): Promise<number>;

  getHubRecord(name: string): Promise<HubRecord | null>;
  /** Inserts version 1 when absent; false (nothing written) when the record exists. */
  createHubRecord(name: string, json: string): Promise<boolean>;
  /** Writes `json` as version+1 when the stored version is `expectedVersion`; false otherwise. */
  updateHubRecord(name: string, json: string, expectedVersion: number): Promise<boolean>;

  /** Inserts the event; `duplicate` (nothing written) when its idempotency key is taken in `ns`. */
  insertWorkEvent(ns: Namespace, rec: WorkEventRecord): Promise<'inserted' | 'duplicate'>;
  workEventByIdempotencyKey(ns: Namespace, key: string): Promise<WorkEventRecord | null>;
  getWorkEvent(ns: Namespace, id: string): Promise<WorkEventRecord | null>;
  /** Newest first, at most `limit`. */
  listWorkEventsBySession(ns: Namespace, relatedSessionId: string, limit: number): Promise<WorkEventRecord[]>;
  countWorkEvents(ns: Namespace): Promise<number>;
  insertWorkLink(ns: Namespace, rec: WorkLinkRecord): Promise<void>;
  /** Links from or to the event, oldest first. */
  listWorkLinks(ns: Namespace, eventId: string): Promise<WorkLinkRecord[]>;
  countWorkLinks(ns: Namespace): Promise<number>;

  close(): Promise<void>;
}
