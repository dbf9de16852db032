import { isAppError } from '../../lib/errors.js';
import { fromJsonText, toJsonText } from '../../lib/json.js';
import { isValidMachineMetadata } from '../../lib/hapi/machine-view.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { UpdateMachineDocResponse } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { SocketContext } from './socket-context.js';

/** HAPI accepts an alive `time` up to 10 minutes old (clamped to now). */
const MAX_ALIVE_AGE_MS = 10 * 60 * 1000;

type Access = { ok: true } | { ok: false; reason: 'access-denied' | 'not-found' };
type Ack = (answer: unknown) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The handshake's machine id, whatever the socket server resolved. */
function handshakeMachineId(ctx: SocketContext): string | undefined {
  const auth = ctx.socket.handshake.auth as Record<string, unknown> | undefined;
  return typeof auth?.machineId === 'string' ? auth.machineId : undefined;
}

/**
 * Which machine this socket may drive: only its own handshake machine, and only when that id
 * belongs to the socket's namespace. HAPI lets any socket of the namespace drive any of its
 * machines; we narrow it to the socket's own machine (DESIGN.md §7).
 */
function createAccessResolver(ctx: SocketContext): (id: string) => Promise<Access> {
  let own = ctx.machineId;
  const { namespace } = ctx;
  // A denied id stays denied (ids are locked to one namespace), so a hostile socket repeating
  // events for it costs one service call in all (bounded, so the cache cannot grow forever).
  const denied = new Map<string, Promise<Access>>();
  const lookup = async (id: string): Promise<{ access: Access; keep: boolean }> => {
    try {
      await ctx.deps.clients.machine.call('getMachine', { namespace, id }, { namespace });
      // In this namespace. Late registration (socket connected before POST /cli/machines).
      if (own === undefined && id === handshakeMachineId(ctx)) {
        own = id;
        return { access: { ok: true }, keep: false };
      }
      return { access: { ok: false, reason: 'access-denied' }, keep: true };
    } catch (err) {
      // Not found may be registered later; a failed check is retried on the next event.
      if (isAppError(err, 'not_found') || isAppError(err, 'invalid_argument')) return { access: { ok: false, reason: 'not-found' }, keep: false };
      if (isAppError(err, 'permission_denied')) return { access: { ok: false, reason: 'access-denied' }, keep: true };
      ctx.deps.log.warn({ err, machineId: id }, 'machine access check failed');
      return { access: { ok: false, reason: 'access-denied' }, keep: false };
    }
  };
  return async (id) => {
    if (own !== undefined && id === own) return { ok: true };
    const cached = denied.get(id);
    if (cached) return cached;
    const pending = lookup(id).then(({ access, keep }) => {
      if (!keep) denied.delete(id);
      return access;
    });
    if (denied.size < 1000) denied.set(id, pending);
    return pending;
  };
}

function emitAccessError(ctx: SocketContext, id: string, reason: 'access-denied' | 'not-found'): void {
  ctx.emitError(reason === 'access-denied' ? 'machine access denied' : 'machine not found', reason, 'machine', id);
}

/** HAPI's CAS ack: {result, version, <field>} with the document parsed back to JSON. */
function casAck(res: UpdateMachineDocResponse, field: 'metadata' | 'runnerState'): Record<string, unknown> {
  const result = res.result === CasResult.CAS_RESULT_SUCCESS ? 'success' : 'version-mismatch';
  return { result, version: res.version, [field]: fromJsonText(res.json) ?? null };
}

function safeAck(cb: unknown): Ack {
  return typeof cb === 'function' ? (answer) => (cb as Ack)(answer) : () => {};
}

function onMachineAlive(ctx: SocketContext, access: (id: string) => Promise<Access>) {
  return async (data: unknown) => {
    if (!isObject(data) || typeof data.machineId !== 'string' || typeof data.time !== 'number' || !Number.isFinite(data.time)) return;
    const machineId = data.machineId;
    const granted = await access(machineId);
    if (!granted.ok) return emitAccessError(ctx, machineId, granted.reason);
    const now = Date.now();
    if (data.time < now - MAX_ALIVE_AGE_MS) return;
    const extra = data.health === undefined ? {} : { health: data.health };
    ctx.liveness.touch('machine', ctx.namespace, machineId, Math.min(data.time, now), extra);
  };
}

interface DocUpdate {
  machineId: string;
  expectedVersion: number;
  value: unknown;
}

function parseDocUpdate(data: unknown, field: 'metadata' | 'runnerState'): DocUpdate | null {
  if (!isObject(data) || typeof data.machineId !== 'string' || !Number.isInteger(data.expectedVersion)) return null;
  const value = data[field];
  if (field === 'metadata' && !isValidMachineMetadata(value)) return null;
  if (field === 'runnerState' && value === undefined) return null;
  return { machineId: data.machineId, expectedVersion: data.expectedVersion as number, value };
}

function onDocUpdate(ctx: SocketContext, access: (id: string) => Promise<Access>, field: 'metadata' | 'runnerState') {
  const method = field === 'metadata' ? 'updateMetadata' : 'updateRunnerState';
  return async (data: unknown, cb: unknown) => {
    const ack = safeAck(cb);
    const req = parseDocUpdate(data, field);
    if (!req) return ack(field === 'metadata' ? { result: 'error', reason: 'invalid-request' } : { result: 'error' });
    const granted = await access(req.machineId);
    if (!granted.ok) return ack({ result: 'error', reason: granted.reason });
    const { namespace } = ctx;
    try {
      const res = await ctx.deps.clients.machine.call(
        method,
        { namespace, id: req.machineId, expectedVersion: req.expectedVersion, json: toJsonText(req.value) },
        { namespace },
      );
      ack(casAck(res, field));
      // HAPI: a runner-state write marks the machine active (the service stores it); the
      // liveness window starts now as well, so the machine is online until heartbeats take over.
      if (field === 'runnerState' && res.result === CasResult.CAS_RESULT_SUCCESS) {
        ctx.liveness.touch('machine', namespace, req.machineId, Date.now());
      }
    } catch (err) {
      ctx.deps.log.warn({ err, machineId: req.machineId, field }, 'machine document update failed');
      ack({ result: 'error' });
    }
  };
}

/**
 * Machine-scoped socket events (machine-alive, machine-update-state, machine-update-metadata).
 * Called by the socket server for every authenticated `/cli` socket. A heartbeat costs no store
 * write: it only touches the liveness tracker of this replica.
 */
export function attachMachineHandlers(ctx: SocketContext): void {
  const access = createAccessResolver(ctx);
  const guard = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => {
    fn(...args).catch((err: unknown) => ctx.deps.log.error({ err }, 'machine socket handler failed'));
  };
  ctx.socket.on('machine-alive', guard(onMachineAlive(ctx, access)));
  ctx.socket.on('machine-update-state', guard(onDocUpdate(ctx, access, 'runnerState')));
  ctx.socket.on('machine-update-metadata', guard(onDocUpdate(ctx, access, 'metadata')));
}
