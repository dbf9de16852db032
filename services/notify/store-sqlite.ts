import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import type { DeviceRecord, HubRecord, NotifyStore, PushSubscriptionRecord, WorkEventRecord, WorkLinkRecord } from './store.js';

// Column names are the record's field names, as in every service's SQLite store.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS push_subscriptions (
  namespace TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  createdAt INTEGER NOT NULL,
  PRIMARY KEY (namespace, endpoint)
);
CREATE TABLE IF NOT EXISTS devices (
  namespace TEXT NOT NULL,
  token TEXT NOT NULL,
  platform TEXT NOT NULL,
  deviceId TEXT NOT NULL,
  pushKey TEXT,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  PRIMARY KEY (namespace, deviceId, platform)
);
CREATE INDEX IF NOT EXISTS devices_ns_token ON devices (namespace, token);
CREATE TABLE IF NOT EXISTS hub_records (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS work_events (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  ts INTEGER NOT NULL,
  sourceKind TEXT NOT NULL,
  sourceRef TEXT NOT NULL,
  sinkKind TEXT,
  sinkRef TEXT,
  eventType TEXT NOT NULL,
  summary TEXT,
  payloadJson TEXT,
  artifactRefsJson TEXT NOT NULL,
  tagsJson TEXT NOT NULL,
  relatedSessionId TEXT,
  relatedEventId TEXT,
  provenance TEXT,
  idempotencyKey TEXT,
  dedupeKey TEXT,
  confidence REAL,
  severity TEXT,
  expiresAt REAL,
  principalJson TEXT NOT NULL,
  UNIQUE (namespace, idempotencyKey)
);
CREATE INDEX IF NOT EXISTS work_events_ns_session_ts ON work_events (namespace, relatedSessionId, ts DESC);
CREATE TABLE IF NOT EXISTS work_links (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  fromEventId TEXT NOT NULL,
  toEventId TEXT NOT NULL,
  relationType TEXT NOT NULL,
  createdAt INTEGER NOT NULL,
  metadataJson TEXT
);
CREATE INDEX IF NOT EXISTS work_links_ns_from ON work_links (namespace, fromEventId);
CREATE INDEX IF NOT EXISTS work_links_ns_to ON work_links (namespace, toEventId);
`;

type WithNs<T> = Omit<T, 'namespace'> & { namespace: string };
const withNs = <T extends { namespace: string }>(r: T): T & { namespace: Namespace } => ({ ...r, namespace: parseNamespace(r.namespace) });

/** One SQLite file for the notify service (`notify.db`). */
export class SqliteNotifyStore implements NotifyStore {
  private constructor(private readonly db: SqliteDb) {}

  /** Opens (creating when absent) the file and makes the schema. */
  static async open(file: string): Promise<SqliteNotifyStore> {
    const db = openSqlite(file);
    try {
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteNotifyStore(db);
  }

  async putPushSubscription(ns: Namespace, rec: PushSubscriptionRecord): Promise<{ created: boolean }> {
    const existed = await this.hasPushSubscription(ns, rec.endpoint);
    this.db
      .prepare(
        `INSERT INTO push_subscriptions (namespace, endpoint, p256dh, auth, createdAt) VALUES (@namespace, @endpoint, @p256dh, @auth, @createdAt)
         ON CONFLICT (namespace, endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, createdAt = excluded.createdAt`,
      )
      .run({ ...rec, namespace: ns });
    return { created: !existed };
  }

  async hasPushSubscription(ns: Namespace, endpoint: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM push_subscriptions WHERE namespace = ? AND endpoint = ?').get(ns, endpoint) !== undefined;
  }

  async countPushSubscriptions(ns: Namespace): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM push_subscriptions WHERE namespace = ?').get(ns) as { n: number }).n;
  }

  async removePushSubscription(ns: Namespace, endpoint: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM push_subscriptions WHERE namespace = ? AND endpoint = ?').run(ns, endpoint).changes > 0;
  }

  async listPushSubscriptions(ns: Namespace): Promise<PushSubscriptionRecord[]> {
    const rows = this.db.prepare('SELECT * FROM push_subscriptions WHERE namespace = ? ORDER BY createdAt DESC').all(ns) as WithNs<PushSubscriptionRecord>[];
    return rows.map(withNs);
  }

  async putDevice(ns: Namespace, rec: DeviceRecord): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM devices WHERE namespace = ? AND token = ? AND NOT (deviceId = ? AND platform = ?)').run(ns, rec.token, rec.deviceId, rec.platform);
      this.db
        .prepare(
          `INSERT INTO devices (namespace, token, platform, deviceId, pushKey, createdAt, updatedAt) VALUES (@namespace, @token, @platform, @deviceId, @pushKey, @createdAt, @updatedAt)
           ON CONFLICT (namespace, deviceId, platform) DO UPDATE SET token = excluded.token, pushKey = excluded.pushKey, updatedAt = excluded.updatedAt`,
        )
        .run({ ...rec, namespace: ns });
    })();
  }

  async hasDevice(ns: Namespace, deviceId: string, platform: DeviceRecord['platform']): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM devices WHERE namespace = ? AND deviceId = ? AND platform = ?').get(ns, deviceId, platform) !== undefined;
  }

  async countDevices(ns: Namespace): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM devices WHERE namespace = ?').get(ns) as { n: number }).n;
  }

  async removeDevicesByToken(ns: Namespace, token: string): Promise<number> {
    return this.db.prepare('DELETE FROM devices WHERE namespace = ? AND token = ?').run(ns, token).changes;
  }

  async getHubRecord(name: string): Promise<HubRecord | null> {
    return (this.db.prepare('SELECT * FROM hub_records WHERE name = ?').get(name) as HubRecord | undefined) ?? null;
  }

  async createHubRecord(name: string, json: string): Promise<boolean> {
    return this.db.prepare('INSERT OR IGNORE INTO hub_records (name, json, version) VALUES (?, ?, 1)').run(name, json).changes > 0;
  }

  async updateHubRecord(name: string, json: string, expectedVersion: number): Promise<boolean> {
    return this.db.prepare('UPDATE hub_records SET json = ?, version = version + 1 WHERE name = ? AND version = ?').run(json, name, expectedVersion).changes > 0;
  }

  async insertWorkEvent(ns: Namespace, rec: WorkEventRecord): Promise<'inserted' | 'duplicate'> {
    try {
      this.db
        .prepare(
          `INSERT INTO work_events (id, namespace, ts, sourceKind, sourceRef, sinkKind, sinkRef, eventType, summary, payloadJson, artifactRefsJson, tagsJson,
             relatedSessionId, relatedEventId, provenance, idempotencyKey, dedupeKey, confidence, severity, expiresAt, principalJson)
           VALUES (@id, @namespace, @ts, @sourceKind, @sourceRef, @sinkKind, @sinkRef, @eventType, @summary, @payloadJson, @artifactRefsJson, @tagsJson,
             @relatedSessionId, @relatedEventId, @provenance, @idempotencyKey, @dedupeKey, @confidence, @severity, @expiresAt, @principalJson)`,
        )
        .run({ ...rec, namespace: ns });
      return 'inserted';
    } catch (err) {
      if (rec.idempotencyKey !== null && isSqliteUniqueViolation(err)) return 'duplicate';
      throw err;
    }
  }

  async workEventByIdempotencyKey(ns: Namespace, key: string): Promise<WorkEventRecord | null> {
    const r = this.db.prepare('SELECT * FROM work_events WHERE namespace = ? AND idempotencyKey = ?').get(ns, key) as WithNs<WorkEventRecord> | undefined;
    return r ? withNs(r) : null;
  }

  async getWorkEvent(ns: Namespace, id: string): Promise<WorkEventRecord | null> {
    const r = this.db.prepare('SELECT * FROM work_events WHERE namespace = ? AND id = ?').get(ns, id) as WithNs<WorkEventRecord> | undefined;
    return r ? withNs(r) : null;
  }

  async listWorkEventsBySession(ns: Namespace, relatedSessionId: string, limit: number): Promise<WorkEventRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM work_events WHERE namespace = ? AND relatedSessionId = ? ORDER BY ts DESC, rowid DESC LIMIT ?')
      .all(ns, relatedSessionId, limit) as WithNs<WorkEventRecord>[];
    return rows.map(withNs);
  }

  async countWorkEvents(ns: Namespace): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM work_events WHERE namespace = ?').get(ns) as { n: number }).n;
  }

  async insertWorkLink(ns: Namespace, rec: WorkLinkRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO work_links (id, namespace, fromEventId, toEventId, relationType, createdAt, metadataJson) VALUES (@id, @namespace, @fromEventId, @toEventId, @relationType, @createdAt, @metadataJson)')
      .run({ ...rec, namespace: ns });
  }

  async listWorkLinks(ns: Namespace, eventId: string): Promise<WorkLinkRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM work_links WHERE namespace = ? AND (fromEventId = ? OR toEventId = ?) ORDER BY createdAt ASC, rowid ASC')
      .all(ns, eventId, eventId) as WithNs<WorkLinkRecord>[];
    return rows.map(withNs);
  }

  async countWorkLinks(ns: Namespace): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM work_links WHERE namespace = ?').get(ns) as { n: number }).n;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
