import { AppError } from '../../lib/errors.js';
import type { HubCallContext } from '../../lib/context.js';
import { hubScoped, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { AuthOpsServiceService } from '../../lib/gen/teamhub/auth/v1/auth_ops.js';
import type { AuditLog } from './audit.js';
import type { AuthStore } from './store.js';

/**
 * Hub operations of the auth service: the import of another hub's Telegram bindings (an account
 * bound to a namespace there is bound to the same namespace here, unless it is bound already).
 */
export class AuthOps {
  constructor(
    private readonly store: AuthStore,
    private readonly audit: AuditLog,
  ) {}

  async importTelegramBinding(ctx: HubCallContext, telegramUserId: number, createdAt: number): Promise<{ created: boolean; boundNamespace: string }> {
    const ns = ctx.namespace;
    if (ns === undefined) throw new AppError('invalid_argument', 'an import names its namespace in the call metadata');
    if (!Number.isSafeInteger(telegramUserId) || telegramUserId <= 0) throw new AppError('invalid_argument', 'telegram_user_id must be a positive integer');
    const before = await this.store.getTelegramBinding(telegramUserId);
    if (before) return { created: false, boundNamespace: before.namespace };
    const binding = await this.store.bindTelegram(ns, telegramUserId, createdAt > 0 ? createdAt : Date.now());
    // Another binding of the account may have won a race since the check above: it is kept.
    const created = binding.namespace === ns;
    if (created) await this.audit.record({ action: 'bind', namespace: ns, clientAddr: 'import', outcome: 'ok', actor: `telegram:${telegramUserId}`, detail: 'imported' });
    return { created, boundNamespace: binding.namespace };
  }
}

export function authOpsHandlers(ops: AuthOps): ServiceHandlers<typeof AuthOpsServiceService> {
  return {
    importTelegramBinding: hubScoped(async (req, ctx) => ops.importTelegramBinding(ctx, req.telegramUserId, req.createdAt)),
  };
}
