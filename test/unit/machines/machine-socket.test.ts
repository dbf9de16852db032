import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import { CasResult } from '../../../lib/gen/teamhub/common/v1/common.js';
import { attachMachineHandlers } from '../../../gateway/routes/socket-machine.js';
import type { LivenessKind, SocketContext } from '../../../gateway/live/socket-context.js';

const NS = 'alice' as Namespace;
const META = { host: 'h', platform: 'linux', happyCliVersion: '0.30.7' };

/** A fake socket context: machines maps id → owning namespace; calls records service calls. */
function harness(opts: { machineId?: string; handshakeId?: string; machines: Record<string, string> }) {
  const socket = Object.assign(new EventEmitter(), { handshake: { auth: { machineId: opts.handshakeId ?? opts.machineId } } });
  const touches: { kind: LivenessKind; id: string; at: number; extra?: Record<string, unknown> }[] = [];
  const errors: unknown[][] = [];
  const calls: { method: string; req: Record<string, unknown> }[] = [];
  const machine = {
    call: async (method: string, body: Record<string, unknown>, scope: { namespace: string }) => {
      // The client fills the body's namespace from the call's context.
      const req: Record<string, unknown> = { ...body, namespace: scope.namespace };
      calls.push({ method, req });
      const owner = opts.machines[req.id as string];
      if (owner === undefined) throw new AppError('not_found', 'Machine not found');
      if (owner !== req.namespace) throw new AppError('permission_denied', 'Machine access denied');
      if (method === 'getMachine') return { machine: { id: req.id } };
      const ok = req.expectedVersion === 1;
      return { result: ok ? CasResult.CAS_RESULT_SUCCESS : CasResult.CAS_RESULT_VERSION_MISMATCH, version: ok ? 2 : 1, json: ok ? req.json : '{"status":"old"}' };
    },
  };
  const ctx = {
    socket,
    namespace: NS,
    deps: { clients: { machine }, log: { warn: () => {}, error: () => {} } },
    liveness: {
      touch: (kind: LivenessKind, _ns: Namespace, id: string, at: number, extra?: Record<string, unknown>) => touches.push({ kind, id, at, extra }),
      end: () => {},
      lastAlive: () => undefined,
      runtime: () => undefined,
    },
    origin: 'r/s',
    machineId: opts.machineId,
    call: () => ({ namespace: NS, requestId: 'req-test', log: { warn: () => {}, error: () => {} } }),
    emitError: (...args: unknown[]) => errors.push(args),
  } as unknown as SocketContext;
  attachMachineHandlers(ctx);
  const ack = (event: string, data: unknown) => new Promise((resolve) => socket.emit(event, data, resolve));
  const settle = () => new Promise((r) => setTimeout(r, 10));
  return { socket, touches, errors, calls, ack, settle };
}

describe('machine socket handlers (unit, fake context)', () => {
  it('when the own machine sends machine-alive, then liveness is touched with health and no service call is made', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice' } });
    const now = Date.now();
    h.socket.emit('machine-alive', { machineId: 'm1', time: now + 60_000, health: { cpuCount: 2 } });
    await h.settle();
    expect(h.calls).to.have.length(0);
    expect(h.touches).to.have.length(1);
    expect(h.touches[0]!.at).to.be.at.most(Date.now());
    expect(h.touches[0]!.extra).to.deep.equal({ health: { cpuCount: 2 } });
  });

  it('when machine-alive names another namespace\'s machine, then an access-denied error event is emitted and nothing is touched', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice', b1: 'bob' } });
    h.socket.emit('machine-alive', { machineId: 'b1', time: Date.now() });
    await h.settle();
    expect(h.touches).to.have.length(0);
    expect(h.errors).to.deep.equal([['machine access denied', 'access-denied', 'machine', 'b1']]);
  });

  it('when a hostile socket repeats events for a foreign machine, then the service is asked once', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice', b1: 'bob' } });
    for (let i = 0; i < 5; i++) h.socket.emit('machine-alive', { machineId: 'b1', time: Date.now() });
    await h.settle();
    expect(h.errors).to.have.length(5);
    expect(h.calls.filter((c) => c.req.id === 'b1')).to.have.length(1);
  });

  it('when machine-alive names another machine of the same namespace, then it is refused too', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice', m2: 'alice' } });
    h.socket.emit('machine-alive', { machineId: 'm2', time: Date.now() });
    await h.settle();
    expect(h.touches).to.have.length(0);
    expect(h.errors[0]).to.deep.equal(['machine access denied', 'access-denied', 'machine', 'm2']);
  });

  it('when machine-alive is stale (older than 10 minutes) or malformed, then it is ignored', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice' } });
    h.socket.emit('machine-alive', { machineId: 'm1', time: Date.now() - 11 * 60_000 });
    h.socket.emit('machine-alive', { machineId: 'm1' });
    h.socket.emit('machine-alive', null);
    await h.settle();
    expect(h.touches).to.have.length(0);
  });

  it('when machine-update-state matches the version, then the ack is success with the parsed state and liveness starts', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice' } });
    const ack = await h.ack('machine-update-state', { machineId: 'm1', expectedVersion: 1, runnerState: { status: 'running' } });
    expect(ack).to.deep.equal({ result: 'success', version: 2, runnerState: { status: 'running' } });
    expect(h.calls[0]).to.deep.include({ method: 'updateRunnerState' });
    expect(h.touches).to.have.length(1);
  });

  it('when machine-update-state has a stale version, then the ack is version-mismatch with the current state', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice' } });
    const ack = await h.ack('machine-update-state', { machineId: 'm1', expectedVersion: 7, runnerState: { status: 'running' } });
    expect(ack).to.deep.equal({ result: 'version-mismatch', version: 1, runnerState: { status: 'old' } });
    expect(h.touches).to.have.length(0);
  });

  it('when machine-update-metadata targets a foreign machine, then the ack is access-denied and no write is made', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice', b1: 'bob' } });
    const ack = await h.ack('machine-update-metadata', { machineId: 'b1', expectedVersion: 1, metadata: META });
    expect(ack).to.deep.equal({ result: 'error', reason: 'access-denied' });
    expect(h.calls.map((c) => c.method)).to.not.include('updateMetadata');
  });

  it('when machine-update-metadata is invalid, then the ack is invalid-request', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice' } });
    expect(await h.ack('machine-update-metadata', { machineId: 'm1', expectedVersion: 1, metadata: {} })).to.deep.equal({ result: 'error', reason: 'invalid-request' });
    expect(await h.ack('machine-update-state', { machineId: 'm1', runnerState: {} })).to.deep.equal({ result: 'error' });
  });

  it('when the handshake machine was registered after the socket connected, then it is accepted once it exists in the namespace', async () => {
    const h = harness({ handshakeId: 'late', machines: { late: 'alice' } });
    const ack = await h.ack('machine-update-metadata', { machineId: 'late', expectedVersion: 1, metadata: META });
    expect(ack).to.deep.equal({ result: 'success', version: 2, metadata: META });
  });

  it('when an unknown machine id is driven, then the answer is not-found', async () => {
    const h = harness({ machineId: 'm1', machines: { m1: 'alice' } });
    expect(await h.ack('machine-update-state', { machineId: 'nope', expectedVersion: 1, runnerState: null })).to.deep.equal({ result: 'error', reason: 'not-found' });
  });
});
