import { createHash } from 'node:crypto';
import {
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventSettings, NatsSettings } from '../config.js';
import type { Logger } from '../logger.js';
import { subjectToken, type Namespace } from '../namespace.js';
import { SUBJECT_ROOT } from '../nats/subjects.js';

/**
 * Each namespace's entity events are kept in a JetStream stream of its own, so any gateway
 * replica can replay what an SSE client missed, and one namespace's churn can only ever drop its
 * own oldest events (the limits are per stream). NATS 2.9 cannot filter a consumer on the
 * namespace of a stream that spans several subject patterns; a stream per namespace needs no
 * filter, so a gateway replica reads only the namespaces its clients are in. RPC subjects
 * (`teamhub.<ns>.rpc.…`) are deliberately not captured: JetStream would answer those requests
 * with publish acks.
 */
export const EVENT_ENTITIES = ['session', 'machine', 'message'] as const;

/** The stream every namespace shared before; its subjects overlap the per-namespace ones. */
export const LEGACY_EVENTS_STREAM = 'TEAMHUB_EVENTS';

const STREAM_PREFIX = 'TEAMHUB_NS_';

/** How long JetStream remembers a published event id, so a retried publish is stored once. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/**
 * The stream of one namespace. A hash, not the subject token: stream names become directory names
 * on the server, and a long or non-ASCII namespace's token would be too long for one.
 */
export function eventStreamName(ns: Namespace): string {
  return STREAM_PREFIX + createHash('sha256').update(ns, 'utf8').digest('hex').slice(0, 32);
}

export function eventStreamSubjects(ns: Namespace): string[] {
  return EVENT_ENTITIES.map((e) => `${SUBJECT_ROOT}.${subjectToken(ns)}.${e}.>`);
}

export type EventStreamLimits = Pick<EventSettings, 'eventsPerNamespace' | 'eventBytesPerNamespace' | 'eventMaxAgeMs'> & Pick<NatsSettings, 'natsReplicas'>;

const MS_TO_NS = 1_000_000;

export function eventStreamConfig(ns: Namespace, limits: EventStreamLimits): Partial<StreamConfig> & { name: string } {
  return {
    name: eventStreamName(ns),
    subjects: eventStreamSubjects(ns),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_msgs: limits.eventsPerNamespace,
    max_bytes: limits.eventBytesPerNamespace,
    max_age: limits.eventMaxAgeMs * MS_TO_NS,
    num_replicas: limits.natsReplicas,
    duplicate_window: DUPLICATE_WINDOW_MS * MS_TO_NS,
  };
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** The fields we set that an existing stream may have with other values (limits changed). */
function differs(have: StreamConfig, want: Partial<StreamConfig>): boolean {
  return (['max_msgs', 'max_bytes', 'max_age', 'num_replicas', 'duplicate_window'] as const).some((k) => want[k] !== undefined && have[k] !== want[k]);
}

/**
 * Creates each namespace's stream on first use (or brings an existing one to the configured
 * limits), once per process: publishers call `ensure` before a namespace's first publish, the
 * gateway before it reads one. Retires the old hub-wide stream first, once.
 */
export class EventStreams {
  private readonly ready = new Map<Namespace, Promise<StreamInfo>>();
  private legacyRetired: Promise<void> | undefined;

  constructor(
    readonly jsm: JetStreamManager,
    private readonly limits: EventStreamLimits,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, limits: EventStreamLimits, log: Logger): Promise<EventStreams> {
    return new EventStreams(await jetstreamManager(nc), limits, log);
  }

  /** The namespace's stream exists (created now if needed); its info when it was first made sure of. */
  ensure(ns: Namespace): Promise<StreamInfo> {
    let p = this.ready.get(ns);
    if (!p) {
      p = this.create(ns);
      this.ready.set(ns, p);
      p.catch(() => this.ready.delete(ns));
    }
    return p;
  }

  /** Forget what `ensure` learnt (the stream was deleted under us): the next `ensure` asks again. */
  forget(ns: Namespace): void {
    this.ready.delete(ns);
  }

  /** The stream's current info, creating it when missing. */
  async info(ns: Namespace): Promise<StreamInfo> {
    await this.ensure(ns);
    try {
      return await this.jsm.streams.info(eventStreamName(ns));
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
      this.forget(ns);
      return this.ensure(ns);
    }
  }

  private async create(ns: Namespace): Promise<StreamInfo> {
    await this.retireLegacy();
    const config = eventStreamConfig(ns, this.limits);
    try {
      const info = await this.jsm.streams.info(config.name);
      if (!differs(info.config, config)) return info;
      try {
        return await this.jsm.streams.update(config.name, config);
      } catch (err) {
        // A replica count the cluster cannot place is not worth refusing events for.
        this.log.warn({ err, stream: config.name }, 'event stream limits not updated');
        return info;
      }
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    }
    try {
      const info = await this.jsm.streams.add(config);
      this.log.info({ stream: config.name }, 'event stream created');
      return info;
    } catch (err) {
      // Another process created it between our info and add.
      return this.jsm.streams.info(config.name).catch(() => {
        throw err;
      });
    }
  }

  private retireLegacy(): Promise<void> {
    this.legacyRetired ??= (async () => {
      try {
        // Looked up first: a process whose NATS user may not delete streams (make run's users)
        // must not even try when there is nothing to retire.
        await this.jsm.streams.info(LEGACY_EVENTS_STREAM);
        await this.jsm.streams.delete(LEGACY_EVENTS_STREAM);
        this.log.warn({ stream: LEGACY_EVENTS_STREAM }, 'hub-wide event stream of an older version deleted (events now live per namespace)');
      } catch (err) {
        if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) {
          this.legacyRetired = undefined;
          throw err;
        }
      }
    })();
    return this.legacyRetired;
  }
}

export function eventsJetStream(nc: NatsConnection): JetStreamClient {
  return jetstream(nc);
}
