import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../../lib/logger.js';
import { isNamespace, type Namespace } from '../../../lib/namespace.js';
import { checkedPayload } from '../../../lib/nats/connection.js';
import { SUBJECT_ROOT } from '../../../lib/nats/subjects.js';
import type { BotApi, InlineKeyboard } from './bot-api.js';
import type { SessionDirectory } from './sessions.js';
import type { TelegramState } from './state.js';
import { asObject, pendingRequests, permissionNotification, readyNotification, sessionViewFromHapi, taskFinishedNotification, type SessionView } from './views.js';

export const NOTIFY_QUEUE = 'teamhub-telegram-notify';

export interface NotifierDeps {
  nc: NatsConnection;
  api: BotApi;
  state: TelegramState;
  sessions: SessionDirectory;
  /** Telegram user ids bound to `ns` (their private chats with the bot). */
  recipients: (ns: Namespace) => Promise<number[]>;
  publicUrl: string;
  log: Logger;
}

/** Is this HAPI message the agent's "ready" event (`{type:'event', data:{type:'ready'}}`, possibly wrapped)? */
export function isReadyEvent(message: unknown): boolean {
  const content = asObject(asObject(message)?.content);
  const envelope = content?.type === 'event' ? content : asObject(content?.content)?.type === 'event' ? asObject(content?.content) : null;
  return asObject(envelope?.data)?.type === 'ready';
}

/**
 * Turns session events into Telegram notifications. Every auth replica subscribes with the same
 * NATS queue group, so each event reaches one replica; a pending permission request appears in
 * many `session-updated` events, so it is sent only by whoever first creates its KV mark.
 * Recipients are only the accounts bound to the event's own namespace.
 */
export class Notifier {
  private readonly subs: Subscription[] = [];
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly d: NotifierDeps) {}

  start(): void {
    const on = (entity: string, type: string, fn: (ns: Namespace, ev: EntityEvent, sync: Record<string, unknown>) => Promise<void>) => {
      const sub = this.d.nc.subscribe(`${SUBJECT_ROOT}.*.${entity}.*.${type}`, {
        queue: NOTIFY_QUEUE,
        callback: (err, msg) => {
          if (err) return;
          const ev = checkedPayload(msg.subject, msg.data, (b) => EntityEvent.decode(b), null, this.d.log);
          if (!ev || !isNamespace(ev.namespace)) return;
          let sync: Record<string, unknown> | null;
          try {
            sync = asObject(JSON.parse(ev.syncEventJson));
          } catch {
            sync = null;
          }
          if (!sync) return;
          const p = fn(ev.namespace, ev, sync).catch((e) => this.d.log.warn({ err: e, type }, 'telegram notification failed'));
          this.inflight.add(p);
          void p.finally(() => this.inflight.delete(p));
        },
      });
      this.subs.push(sub);
    };
    on('session', 'session-added', (ns, ev, sync) => this.onSession(ns, ev, sync));
    on('session', 'session-updated', (ns, ev, sync) => this.onSession(ns, ev, sync));
    on('session', 'session-ended', (ns, ev, sync) => this.onEnded(ns, ev, sync));
    on('message', 'message-received', (ns, ev, sync) => this.onMessage(ns, ev, sync));
  }

  private async send(ns: Namespace, n: { text: string; keyboard: InlineKeyboard }): Promise<void> {
    for (const chatId of await this.d.recipients(ns)) {
      try {
        await this.d.api.sendMessage(chatId, n.text, n.keyboard);
      } catch (err) {
        this.d.log.warn({ err, chatId }, 'telegram sendMessage failed');
      }
    }
  }

  /** New permission requests of an active session, each sent once. */
  private async onSession(ns: Namespace, ev: EntityEvent, sync: Record<string, unknown>): Promise<void> {
    const s = sessionViewFromHapi(sync.data);
    if (!s || s.id !== ev.entityId || !s.active) return;
    for (const req of pendingRequests(s)) {
      if (!(await this.d.state.markOnce('perm', ns, s.id, req.id))) continue;
      await this.send(ns, permissionNotification(s, req, this.d.publicUrl));
    }
  }

  private async onEnded(ns: Namespace, ev: EntityEvent, sync: Record<string, unknown>): Promise<void> {
    const s: SessionView = (await this.d.sessions.get(ns, ev.entityId)) ?? { id: ev.entityId, active: false, metadata: null, agentState: null };
    const reason = typeof sync.reason === 'string' ? sync.reason : undefined;
    await this.send(ns, taskFinishedNotification(s, reason, this.d.publicUrl));
  }

  private async onMessage(ns: Namespace, ev: EntityEvent, sync: Record<string, unknown>): Promise<void> {
    if (!isReadyEvent(sync.message)) return;
    const s = await this.d.sessions.get(ns, ev.entityId);
    if (!s || !s.active) return;
    await this.send(ns, readyNotification(s, this.d.publicUrl));
  }

  async stop(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    await Promise.allSettled([...this.inflight]);
  }
}
