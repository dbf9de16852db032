import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import type { AuditRecord, AuthStore } from './store.js';

export const MAX_AUDIT_LIMIT = 500;
const MAX_FIELD = 512;

export interface AuditInput {
  action: string;
  namespace: Namespace | null;
  clientAddr: string;
  outcome: 'ok' | 'denied' | 'throttled' | 'error' | string;
  actor: string;
  detail?: string;
}

function clip(s: string): string {
  return s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}…` : s;
}

/** Time-ordered ids (ms timestamp in hex, then random) so ties in `at` still sort newest first. */
function auditId(at: number): string {
  return `${at.toString(16).padStart(12, '0')}-${randomBytes(8).toString('hex')}`;
}

/**
 * The append-only audit log: who (actor), namespace, client address, when, action, outcome,
 * detail. Writing is best effort for the request that triggers it (a failed write is logged at
 * error level and does not turn a login into a failure).
 */
export class AuditLog {
  constructor(
    private readonly store: AuthStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async record(input: AuditInput): Promise<AuditRecord> {
    const at = this.now();
    const rec: AuditRecord = {
      id: auditId(at),
      at,
      action: clip(input.action),
      namespace: input.namespace,
      clientAddr: clip(input.clientAddr),
      outcome: clip(input.outcome),
      actor: clip(input.actor),
      detail: clip(input.detail ?? ''),
    };
    try {
      await this.store.appendAudit(rec);
    } catch (err) {
      this.log.error({ err, action: rec.action }, 'audit write failed');
    }
    return rec;
  }

  /** Newest first; `ns` null = every namespace (hub scope only). */
  async list(ns: Namespace | null, limit: number, before?: number): Promise<AuditRecord[]> {
    if (!Number.isInteger(limit) || limit < 0) throw new AppError('invalid_argument', 'limit must be a non-negative integer');
    const n = limit === 0 ? 100 : Math.min(limit, MAX_AUDIT_LIMIT);
    return this.store.listAudit(ns, { limit: n, before });
  }
}
