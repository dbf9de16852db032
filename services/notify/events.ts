import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { namespaceContext } from '../../lib/context.js';
import { EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../lib/logger.js';
import { isNamespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { SUBJECT_ROOT } from '../../lib/nats/subjects.js';
import type { Notifier } from './notifications.js';

/** Every notify replica subscribes in this queue group, so each event reaches one of them. */
export const NOTIFY_QUEUE = 'teamhub-notify';

/**
 * The notify service's side of the event bus (it publishes nothing): the session events that can
 * become notifications, decoded (the payload's namespace checked against the subject's) and
 * handed to the notification rules with a context carrying the event's namespace and request id,
 * so the service's log lines join the request's lines from the other processes.
 */
export class NotificationConsumer {
  private readonly subs: Subscription[] = [];
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly rules: Notifier,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const subject of [`${SUBJECT_ROOT}.*.session.*.upserted`, `${SUBJECT_ROOT}.*.session.*.ended`, `${SUBJECT_ROOT}.*.message.*.appended`]) {
      this.subs.push(this.nc.subscribe(subject, { queue: NOTIFY_QUEUE, callback: (err, msg) => (err ? undefined : this.onEvent(msg.subject, msg.data)) }));
    }
  }

  private onEvent(subject: string, data: Uint8Array): void {
    const ev = checkedPayload(subject, data, (b) => EntityEvent.decode(b), null, this.log);
    if (!ev || !isNamespace(ev.namespace) || !ev.change) return;
    const ctx = namespaceContext(this.log, ev.namespace, ev.requestId || undefined);
    const change = ev.change;
    const run = async (): Promise<void> => {
      if (change.$case === 'sessionUpserted' && change.sessionUpserted.session) await this.rules.sessionUpserted(ctx, change.sessionUpserted.session);
      else if (change.$case === 'sessionEnded') await this.rules.sessionEnded(ctx, change.sessionEnded.sessionId, change.sessionEnded.reason);
      else if (change.$case === 'messageAppended' && change.messageAppended.message) await this.rules.messageAppended(ctx, change.messageAppended.message);
    };
    const p = run().catch((err: unknown) => ctx.log.warn({ err, change: change.$case }, 'notification failed'));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  async stop(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    await Promise.allSettled([...this.inflight]);
  }
}
