import { RpcClient } from '../../lib/grpc/client.js';
import type { CallContext, HubCallContext } from '../../lib/context.js';
import { AuthServiceService } from '../../lib/gen/teamhub/auth/v1/auth.js';
import { SessionServiceService } from '../../lib/gen/teamhub/session/v1/session.js';
import { isAppError } from '../../lib/errors.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import { toSessionView } from './proto-map.js';
import type { SessionView } from './session-view.js';

/** What the bot reads from the services: bindings and recipients (auth), sessions (session). */
export interface Directory {
  /** The namespace a Telegram account is bound to, or null. */
  namespaceOf(ctx: HubCallContext, telegramUserId: number): Promise<Namespace | null>;
  /** Telegram accounts bound to the context's namespace (their private chats with the bot). */
  recipients(ctx: CallContext): Promise<number[]>;
  listSessions(ctx: CallContext): Promise<SessionView[]>;
  getSession(ctx: CallContext, id: string): Promise<SessionView | null>;
  close(): void;
}

/** The auth and session services over gRPC; every call carries the bot's call context. */
export class GrpcDirectory implements Directory {
  private readonly auth: RpcClient<typeof AuthServiceService>;
  private readonly sessions: RpcClient<typeof SessionServiceService>;

  constructor(addrs: { authAddr: string; sessionAddr: string }, internalSecret: string) {
    this.auth = new RpcClient(AuthServiceService, addrs.authAddr, { internalSecret, deadlineMs: 5_000 });
    this.sessions = new RpcClient(SessionServiceService, addrs.sessionAddr, { internalSecret, deadlineMs: 5_000 });
  }

  async namespaceOf(ctx: HubCallContext, telegramUserId: number): Promise<Namespace | null> {
    const res = await this.auth.call('getTelegramBinding', { telegramUserId }, ctx);
    return res.namespace === undefined ? null : parseNamespace(res.namespace);
  }

  async recipients(ctx: CallContext): Promise<number[]> {
    return (await this.auth.call('listTelegramRecipients', {}, ctx)).telegramUserIds;
  }

  async listSessions(ctx: CallContext): Promise<SessionView[]> {
    return (await this.sessions.call('listSessions', {}, ctx)).sessions.map(toSessionView);
  }

  async getSession(ctx: CallContext, id: string): Promise<SessionView | null> {
    try {
      const res = await this.sessions.call('getSession', { id }, ctx);
      return res.session ? toSessionView(res.session) : null;
    } catch (err) {
      if (isAppError(err, 'not_found')) return null;
      throw err;
    }
  }

  close(): void {
    this.auth.close();
    this.sessions.close();
  }
}
