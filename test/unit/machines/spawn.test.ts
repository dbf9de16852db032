import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { Machine } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import type { GatewayDeps } from '../../../gateway/deps.js';
import { normalizeSpawnAck, spawnOnMachine, spawnParams, SpawnBody, type MachineRpc as LiveHandle } from '../../../gateway/routes/machine-spawn.js';
import type { CallContext } from '../../../lib/context.js';
import { pickMachine } from '../../../gateway/routes/api-session-resume.js';

const ns = 'alice' as Namespace;
const silent = { warn: () => {}, info: () => {}, error: () => {} };
const deps = { cfg: { rpcTimeoutMs: 30_000 }, log: silent } as unknown as GatewayDeps;
const ctx = { namespace: ns, requestId: 'req-test', log: silent } as unknown as CallContext;

function fakeLive(opts: { online?: boolean; rpc?: () => Promise<unknown> }): LiveHandle & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    rpcCall: async (...args: unknown[]) => {
      calls.push(args);
      return (opts.rpc ?? (async () => ({ type: 'success', sessionId: 's1' })))();
    },
    isMachineOnline: async () => opts.online ?? true,
    close: async () => {},
  } as unknown as LiveHandle & { calls: unknown[][] };
}

function machine(id: string, host: string): Machine {
  return { id, namespace: 'alice', metadataJson: JSON.stringify({ host, platform: 'linux', happyCliVersion: '0.30.7' }) } as Machine;
}

describe('spawn answers (unit)', () => {
  it('when the runner answers success, then only type and sessionId are kept', () => {
    expect(normalizeSpawnAck({ type: 'success', sessionId: 'abc', extra: 1 })).to.deep.equal({ type: 'success', sessionId: 'abc' });
  });

  it('when the runner answers an error with a code, then errorMessage becomes message and the rest is kept in order', () => {
    const ack = { type: 'error', errorMessage: 'claude is not installed or is not on PATH', code: 'agent_unavailable', agent: 'claude' };
    expect(JSON.stringify(normalizeSpawnAck(ack))).to.equal(
      '{"type":"error","message":"claude is not installed or is not on PATH","code":"agent_unavailable","agent":"claude"}',
    );
  });

  it('when the runner asks to approve a directory, then it is an error saying so (the page cannot approve it)', () => {
    const ack = { type: 'requestToApproveDirectoryCreation', directory: '/tmp/new' };
    expect(normalizeSpawnAck(ack)).to.deep.equal({ type: 'error', message: 'Directory creation requires approval: /tmp/new' });
  });

  it('when the runner error carries a code the page does not act on, then only the message and agent are kept', () => {
    expect(normalizeSpawnAck({ type: 'error', errorMessage: 'nope', code: 'internal_thing', agent: 'pi', extra: 1 })).to.deep.equal({ type: 'error', message: 'nope', agent: 'pi' });
  });

  it('when the runner handler threw ({error}), then it is an error with that message', () => {
    expect(normalizeSpawnAck({ error: 'boom' })).to.deep.equal({ type: 'error', message: 'boom' });
  });

  it('when the ack is not understood, then the answer says so', () => {
    expect(normalizeSpawnAck('weird')).to.deep.equal({ type: 'error', message: 'Unexpected spawn result: weird' });
    expect(normalizeSpawnAck(null)).to.deep.equal({ type: 'error', message: 'Unexpected spawn result: null' });
  });

  it('when params are built, then absent options are left out and agent defaults to claude', () => {
    expect(JSON.stringify(spawnParams({ directory: '/tmp/ws' }))).to.equal(
      '{"type":"spawn-in-directory","directory":"/tmp/ws","agent":"claude","forkSession":false}',
    );
    const resumed = spawnParams({ directory: '/w', agent: 'codex', existingSessionId: 'sid', resumeSessionId: 'r' });
    expect(resumed).to.include({ existingSessionId: 'sid', sessionId: 'sid', resumeSessionId: 'r', agent: 'codex' });
  });

  it('when the spawn body lacks a directory or names an unknown agent, then it is refused', () => {
    expect(SpawnBody.safeParse({}).success).to.equal(false);
    expect(SpawnBody.safeParse({ directory: '' }).success).to.equal(false);
    expect(SpawnBody.safeParse({ directory: '/w', agent: 'nope' }).success).to.equal(false);
    expect(SpawnBody.safeParse({ directory: '/w', agent: 'claude', startingMode: 'pty', yolo: true }).success).to.equal(true);
  });
});

describe('spawnOnMachine (unit, fake live handle)', () => {
  it('when the machine is offline, then it answers rpc_target_missing without calling the runner', async () => {
    const live = fakeLive({ online: false });
    const answer = await spawnOnMachine(deps, live, ctx, 'm1', { directory: '/w' });
    expect(answer).to.deep.equal({ type: 'error', message: 'RPC handler not registered: m1:spawn-happy-session', code: 'rpc_target_missing' });
    expect(live.calls).to.have.length(0);
  });

  it('when no socket holds the method, then it answers rpc_target_missing', async () => {
    const missing = new AppError('unavailable', 'no target', { details: { code: 'rpc_target_missing' } });
    const live = fakeLive({ rpc: async () => Promise.reject(missing) });
    const answer = await spawnOnMachine(deps, live, ctx, 'm1', { directory: '/w' });
    expect(answer).to.deep.equal({ type: 'error', message: 'RPC handler not registered: m1:spawn-happy-session', code: 'rpc_target_missing' });
  });

  it('when the runner times out, then it answers an error (HTTP 200 shape)', async () => {
    const live = fakeLive({ rpc: async () => Promise.reject(new AppError('deadline_exceeded', 'RPC timed out')) });
    expect(await spawnOnMachine(deps, live, ctx, 'm1', { directory: '/w' })).to.deep.equal({ type: 'error', message: 'RPC timed out' });
  });

  it('when the call goes out, then it targets <machineId>:spawn-happy-session with the configured timeout', async () => {
    const live = fakeLive({});
    await spawnOnMachine(deps, live, ctx, 'm1', { directory: '/w' });
    expect(live.calls[0]!.slice(0, 3)).to.deep.equal([ns, 'm1', 'spawn-happy-session']);
    expect(live.calls[0]![4]).to.equal(30_000);
  });
});

describe('resume machine choice (unit)', () => {
  const online = [machine('m1', 'hostA'), machine('m2', 'hostB')];

  it('when the session machine is online, then it is chosen', () => {
    expect(pickMachine(online, { machineId: 'm2', host: 'hostA' })?.id).to.equal('m2');
  });

  it('when the session machine is gone, then a machine on the same host is chosen', () => {
    expect(pickMachine(online, { machineId: 'gone', host: 'hostA' })?.id).to.equal('m1');
  });

  it('when nothing matches, then no machine is chosen', () => {
    expect(pickMachine(online, { machineId: 'gone', host: 'hostC' })).to.equal(undefined);
    expect(pickMachine([], { machineId: 'm1' })).to.equal(undefined);
  });
});
