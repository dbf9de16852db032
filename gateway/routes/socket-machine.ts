import { isAppError } from '../../lib/errors.js';
import { fromJsonText, toJsonText } from '../../lib/json.js';
import { isInt64 } from '../../lib/proto-numbers.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { UpdateMachineDocResponse } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { MachineMetadataUpdate } from '../hapi/schemas.js';
import type { SocketContext } from '../live/socket-context.js';

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
 * machines; we narrow it to the socket's own machine, so one runner cannot speak for another
 * (the namespace is the boundary between teammates; within it, a machine speaks for itself).
 */
function createAccessResolver(ctx: SocketContext): (id: string) => Promise<Access> {
  let own = ctx.machineId;
  // A denied id stays denied (ids are locked to one namespace), so a hostile socket repeating
  // events for it costs one service call in all (bounded, so the cache cannot grow forever).
  const denied = new Map<string, Promise<Access>>();
  const lookup = async (id: string): Promise<{ access: Access; keep: boolean }> => {
    const call = ctx.call();
    try {
      await ctx.deps.clients.machine.call('getMachine', { id }, call);
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
      call.log.warn({ err, machineId: id }, 'machine access check failed');
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

/** HAPI's payload schema (the document itself is checked after access: a foreign id is refused as such first). */
function parseDocUpdate(data: unknown, field: 'metadata' | 'runnerState'): DocUpdate | null {
  if (!isObject(data) || typeof data.machineId !== 'string' || !isInt64(data.expectedVersion)) return null;
  const value = data[field];
  if (field === 'runnerState' && value === undefined) return null;
  return { machineId: data.machineId, expectedVersion: data.expectedVersion as number, value };
}

function onDocUpdate(ctx: SocketContext, access: (id: string) => Promise<Access>, field: 'metadata' | 'runnerState') {
  const method = field === 'metadata' ? 'updateMetadata' : 'updateRunnerState';
  return async (...args: unknown[]) => {
    // The callback is the last argument: an event sent with no payload has it first.
    const ack = safeAck(args[args.length - 1]);
    const data = typeof args[0] === 'function' ? undefined : args[0];
    const req = parseDocUpdate(data, field);
    if (!req) return ack({ result: 'error' });
    const granted = await access(req.machineId);
    if (!granted.ok) return ack({ result: 'error', reason: granted.reason });
    if (field === 'metadata' && !MachineMetadataUpdate.safeParse(req.value).success) return ack({ result: 'error', reason: 'invalid-request' });
    const call = ctx.call();
    try {
      const res = await ctx.deps.clients.machine.call(method, { id: req.machineId, expectedVersion: req.expectedVersion, json: toJsonText(req.value) }, call);
      ack(casAck(res, field));
      // HAPI: a runner-state write marks the machine active (the service stores it); the
      // liveness window starts now as well, so the machine is online until heartbeats take over.
      if (field === 'runnerState' && res.result === CasResult.CAS_RESULT_SUCCESS) {
        ctx.liveness.touch('machine', ctx.namespace, req.machineId, Date.now());
      }
    } catch (err) {
      // A document over the size limit is the client's answer, with the reason.
      if (isAppError(err, 'payload_too_large')) return ack({ result: 'error', reason: err.message });
      call.log.warn({ err, machineId: req.machineId, field }, 'machine document update failed');
      ack({ result: 'error' });
    }
  };
}

/** `machine-agy-models-changed {machineId}`: the namespace's pages are told to refetch that machine's Antigravity models. */
function onAgyModelsChanged(ctx: SocketContext, access: (id: string) => Promise<Access>) {
  return async (data: unknown) => {
    if (!isObject(data) || typeof data.machineId !== 'string' || data.machineId.length === 0) return;
    const machineId = data.machineId;
    const granted = await access(machineId);
    if (!granted.ok) return emitAccessError(ctx, machineId, granted.reason);
    await ctx.deps.clients.machine.call('announceAgyModelsChanged', { id: machineId }, ctx.call());
  };
}

/**
 * Machine-scoped socket events (machine-alive, machine-update-state, machine-update-metadata,
 * machine-agy-models-changed),
 * attached to every authenticated `/cli` socket through the route registry. A heartbeat costs no
 * store write: it only touches the liveness tracker of this replica.
 */
export function attachMachineHandlers(ctx: SocketContext): void {
  const access = createAccessResolver(ctx);
  const guard = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => {
    fn(...args).catch((err: unknown) => ctx.deps.log.error({ err, ns: ctx.namespace, socket: ctx.socket.id }, 'machine socket handler failed'));
  };
  ctx.socket.on('machine-alive', guard(onMachineAlive(ctx, access)));
  ctx.socket.on('machine-update-state', guard(onDocUpdate(ctx, access, 'runnerState')));
  ctx.socket.on('machine-update-metadata', guard(onDocUpdate(ctx, access, 'metadata')));
  ctx.socket.on('machine-agy-models-changed', guard(onAgyModelsChanged(ctx, access)));
}
