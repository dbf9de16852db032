/** The subset of the Telegram Bot API the bot uses (plain `fetch`, JSON bodies). */

export interface TgUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  username?: string;
}

export interface TgMessage {
  message_id: number;
  chat: { id: number; type?: string };
  from?: TgUser;
  text?: string;
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  data?: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  callback_query?: TgCallbackQuery;
}

export type InlineButton = { text: string; callback_data: string } | { text: string; web_app: { url: string } } | { text: string; url: string };
export interface InlineKeyboard {
  inline_keyboard: InlineButton[][];
}

export class BotApiError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    description: string,
  ) {
    super(`telegram ${method} failed (${status}): ${description}`);
  }
}

export class BotApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async call<T>(method: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const res = await this.fetchImpl(`${this.baseUrl}/bot${this.token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    let parsed: { ok?: boolean; result?: T; description?: string };
    try {
      parsed = (await res.json()) as typeof parsed;
    } catch {
      throw new BotApiError(method, res.status, 'invalid JSON response');
    }
    if (!res.ok || parsed.ok !== true) throw new BotApiError(method, res.status, parsed.description ?? 'unknown error');
    return parsed.result as T;
  }

  getUpdates(offset: number | undefined, timeoutSec: number, signal?: AbortSignal): Promise<TgUpdate[]> {
    const body: Record<string, unknown> = { timeout: timeoutSec, allowed_updates: ['message', 'callback_query'] };
    if (offset !== undefined) body.offset = offset;
    return this.call<TgUpdate[]>('getUpdates', body, signal);
  }

  sendMessage(chatId: number, text: string, replyMarkup?: InlineKeyboard): Promise<TgMessage> {
    const body: Record<string, unknown> = { chat_id: chatId, text };
    if (replyMarkup) body.reply_markup = replyMarkup;
    return this.call<TgMessage>('sendMessage', body);
  }

  answerCallbackQuery(callbackQueryId: string, text?: string): Promise<boolean> {
    const body: Record<string, unknown> = { callback_query_id: callbackQueryId };
    if (text !== undefined) body.text = text;
    return this.call<boolean>('answerCallbackQuery', body);
  }

  editMessageText(chatId: number, messageId: number, text: string, replyMarkup?: InlineKeyboard): Promise<unknown> {
    const body: Record<string, unknown> = { chat_id: chatId, message_id: messageId, text };
    if (replyMarkup) body.reply_markup = replyMarkup;
    return this.call<unknown>('editMessageText', body);
  }
}
