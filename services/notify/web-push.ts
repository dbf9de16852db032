import webpush from 'web-push';
import type { CallContext } from '../../lib/context.js';
import type { VapidKeys } from './domain.js';
import type { NotificationChannel } from './notifications.js';
import { permissionPayload, readyPayload, taskPayload, type PushPayload } from './push-payloads.js';
import type { SessionView, TaskNotification } from './session-view.js';
import type { NotifyStore, PushSubscriptionRecord } from './store.js';
import type { ToastShower } from './visible-pages.js';

/** The one call of the web-push library the channel makes (a seam for unit tests). */
export type SendNotification = (
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
  payload: string,
  options: { vapidDetails: { subject: string; publicKey: string; privateKey: string }; TTL: number; timeout: number },
) => Promise<unknown>;

export interface WebPushDeps {
  store: Pick<NotifyStore, 'listPushSubscriptions' | 'removePushSubscription'>;
  vapidKeys: () => Promise<VapidKeys>;
  vapidSubject: string;
  pages: ToastShower;
  timeoutMs: number;
  send?: SendNotification;
}

/** How long a push service keeps an undelivered notification (a day: later it is stale). */
const PUSH_TTL_SEC = 24 * 60 * 60;

/**
 * Web Push, as HAPI sends it: a permission request, the agent ready for input, a finished task.
 * A namespace with a visible page gets an SSE toast there instead (when some page showed it);
 * otherwise every subscription of the namespace, and only of it, gets the push, signed with the
 * hub's VAPID key and encrypted for the subscription (the web-push library: RFC 8291 aes128gcm,
 * RFC 8292 VAPID). A push service answering 404 or 410 has dropped the subscription: it is removed.
 */
export class WebPushChannel implements NotificationChannel {
  readonly name = 'web-push';
  private readonly send: SendNotification;

  constructor(private readonly d: WebPushDeps) {
    this.send = d.send ?? ((sub, payload, options) => webpush.sendNotification(sub, payload, options));
  }

  async permissionRequested(ctx: CallContext, s: SessionView): Promise<void> {
    await this.deliver(ctx, permissionPayload(s), 'permission');
  }

  async ready(ctx: CallContext, s: SessionView): Promise<void> {
    await this.deliver(ctx, readyPayload(s), 'ready');
  }

  async taskFinished(ctx: CallContext, s: SessionView, task: TaskNotification): Promise<void> {
    await this.deliver(ctx, taskPayload(s, task), 'task');
  }

  async sessionEnded(): Promise<void> {}

  private async deliver(ctx: CallContext, payload: PushPayload, kind: string): Promise<void> {
    const shown = await this.d.pages.toast(ctx, { title: payload.title, body: payload.body, sessionId: payload.data.sessionId, url: payload.data.url });
    if (shown > 0) {
      ctx.log.info({ kind, sessionId: payload.data.sessionId, pages: shown }, 'notification shown as a toast');
      return;
    }
    const subs = await this.d.store.listPushSubscriptions(ctx.namespace);
    if (subs.length === 0) return;
    const keys = await this.d.vapidKeys();
    const body = JSON.stringify(payload);
    const results = await Promise.all(subs.map((sub) => this.pushOne(ctx, sub, body, keys)));
    ctx.log.info({ kind, sessionId: payload.data.sessionId, sent: results.filter(Boolean).length, subscriptions: subs.length }, 'web push sent');
  }

  private async pushOne(ctx: CallContext, sub: PushSubscriptionRecord, body: string, keys: VapidKeys): Promise<boolean> {
    try {
      await this.send({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, body, {
        vapidDetails: { subject: this.d.vapidSubject, publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: PUSH_TTL_SEC,
        timeout: this.d.timeoutMs,
      });
      return true;
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (status === 404 || status === 410) {
        await this.d.store.removePushSubscription(ctx.namespace, sub.endpoint);
        ctx.log.info({ status }, 'push subscription gone; removed');
      } else {
        // The endpoint is a URL of the subscriber's push service: not logged (it is a capability).
        ctx.log.warn({ err: { message: (err as Error).message, statusCode: status } }, 'web push failed');
      }
      return false;
    }
  }
}
