import type { CallContext } from '../../../lib/context.js';
import type { Directory } from '../directory.js';
import type { NotificationChannel } from '../notifications.js';
import type { PendingRequest, SessionView } from '../session-view.js';
import type { BotApi, InlineKeyboard } from './bot-api.js';
import { permissionNotification, readyNotification, taskFinishedNotification } from './views.js';

export interface TelegramChannelDeps {
  api: Pick<BotApi, 'sendMessage'>;
  directory: Pick<Directory, 'recipients'>;
  publicUrl: string;
}

/**
 * Telegram messages to the accounts bound to the namespace (chat id = user id): each new
 * permission request with Approve/Deny buttons, "Agent ready", and "Task finished" when a session
 * ends. (Agents' task reports are Web Push only, as the bot has no message for them.)
 */
export class TelegramChannel implements NotificationChannel {
  readonly name = 'telegram';

  constructor(private readonly d: TelegramChannelDeps) {}

  private async send(ctx: CallContext, n: { text: string; keyboard: InlineKeyboard }): Promise<void> {
    for (const chatId of await this.d.directory.recipients(ctx)) {
      try {
        await this.d.api.sendMessage(chatId, n.text, n.keyboard);
      } catch (err) {
        ctx.log.warn({ err, chatId }, 'telegram sendMessage failed');
      }
    }
  }

  async permissionRequested(ctx: CallContext, s: SessionView, fresh: PendingRequest[]): Promise<void> {
    for (const req of fresh) {
      await this.send(ctx, permissionNotification(s, req, this.d.publicUrl));
      ctx.log.info({ sessionId: s.id, requestId: req.id }, 'telegram permission request sent');
    }
  }

  async ready(ctx: CallContext, s: SessionView): Promise<void> {
    await this.send(ctx, readyNotification(s, this.d.publicUrl));
  }

  async taskFinished(): Promise<void> {}

  async sessionEnded(ctx: CallContext, s: SessionView, reason: string | undefined): Promise<void> {
    await this.send(ctx, taskFinishedNotification(s, reason, this.d.publicUrl));
  }
}
