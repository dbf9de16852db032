import { expect } from 'chai';
import { MachineDomain } from '../../../services/machine/domain.js';
import { MachineEvents } from '../../../services/machine/events.js';
import { SqliteMachineStore } from '../../../services/machine/store-sqlite.js';
import { AppError } from '../../../lib/errors.js';
import { RecordingSink, countingStore, manualClock, ns } from './fakes.js';
import { byNamespace, type ByNamespace } from '../call-context.js';

const alice = ns('alice');
const bob = ns('bob');
const META = { host: 'peerhost', platform: 'linux', happyCliVersion: '0.30.7' };

describe('machine domain (events and writes)', () => {
  let sink: RecordingSink;
  let counted: ReturnType<typeof countingStore>;
  let domain: ByNamespace<MachineDomain>;
  let clock: ReturnType<typeof manualClock>;

  const reg = (space = alice, id = 'm1', metadata: unknown = META, runnerState?: unknown) =>
    domain.register(space, {
      id,
      metadataJson: JSON.stringify(metadata),
      hasRunnerState: runnerState !== undefined,
      runnerStateJson: runnerState === undefined ? undefined : JSON.stringify(runnerState),
    });

  beforeEach(async () => {
    const inner = await SqliteMachineStore.open(':memory:');
    counted = countingStore(inner);
    sink = new RecordingSink();
    clock = manualClock();
    domain = byNamespace(new MachineDomain(counted.store, new MachineEvents(sink), clock.now));
  });

  it('when a machine is created, then one machine-updated event with the full HAPI machine goes to its namespace', async () => {
    await reg();
    expect(sink.events).to.have.length(1);
    const [ev] = sink.events;
    expect(ev!.ns).to.equal('alice');
    expect(ev!.input).to.deep.include({ entity: 'machine', entityId: 'm1', type: 'machine-updated' });
    const sync = ev!.input.syncEvent as { type: string; machineId: string; data: Record<string, unknown> };
    expect(sync.type).to.equal('machine-updated');
    expect(sync.machineId).to.equal('m1');
    expect(Object.keys(sync.data)).to.deep.equal([
      'id', 'namespace', 'seq', 'createdAt', 'updatedAt', 'active', 'activeAt',
      'metadata', 'metadataVersion', 'runnerState', 'runnerStateVersion', 'health',
    ]);
  });

  it('when re-registration changes nothing, then no write and no event happen', async () => {
    await reg(alice, 'm1', META, { status: 'offline' });
    sink.clear();
    counted.reset();
    await reg(alice, 'm1', META, { status: 'offline', pid: 9 });
    await reg(alice, 'm1', {});
    expect(counted.writes()).to.equal(0);
    expect(sink.events).to.have.length(0);
  });

  it('when metadata CAS succeeds, then an update-machine socket body carries the new version and value', async () => {
    await reg();
    sink.clear();
    const next = { ...META, host: 'h2' };
    await domain.updateDoc(alice, 'm1', 'metadata', 1, JSON.stringify(next));
    expect(sink.events).to.have.length(1);
    expect(sink.events[0]!.input.socketUpdate).to.deep.equal({
      t: 'update-machine',
      machineId: 'm1',
      metadata: { version: 2, value: next },
      runnerState: null,
    });
  });

  it('when runnerState CAS succeeds, then the socket body carries runnerState and the machine is active', async () => {
    await reg();
    sink.clear();
    await domain.updateDoc(alice, 'm1', 'runnerState', 1, '{"status":"running"}');
    const ev = sink.events[0]!.input;
    expect(ev.socketUpdate).to.deep.equal({ t: 'update-machine', machineId: 'm1', metadata: null, runnerState: { version: 2, value: { status: 'running' } } });
    expect((ev.syncEvent as { data: { active: boolean } }).data.active).to.equal(true);
  });

  it('when CAS answers version-mismatch, then no event is published', async () => {
    await reg();
    sink.clear();
    const out = await domain.updateDoc(alice, 'm1', 'metadata', 7, JSON.stringify(META));
    expect(out.ok).to.equal(false);
    expect(sink.events).to.have.length(0);
  });

  it('when a heartbeat does not change active, then the store is not written and nothing is published', async () => {
    await reg();
    await domain.setActive(alice, 'm1', true, clock.now(), '{"cpu":1}');
    sink.clear();
    counted.reset();
    for (let i = 0; i < 5; i++) {
      const out = await domain.setActive(alice, 'm1', true, clock.now(), `{"cpu":${i}}`);
      expect(out.changed).to.equal(false);
    }
    await domain.setActive(alice, 'm1', true, 0, undefined);
    expect(counted.writes()).to.equal(0);
    expect(sink.events).to.have.length(0);
    await domain.setActive(alice, 'm1', false, clock.now(), undefined);
    expect(counted.writes()).to.equal(1);
    expect(sink.events).to.have.length(1);
    expect(sink.events[0]!.input.socketUpdate).to.equal(undefined);
  });

  it('when a machine already marked active reports health for the first time, then it is stored once and published', async () => {
    await reg();
    await domain.updateDoc(alice, 'm1', 'runnerState', 1, JSON.stringify({ status: 'running' }));
    sink.clear();
    counted.reset();
    const first = await domain.setActive(alice, 'm1', true, clock.now(), '{"cpuCount":2}');
    expect(first.record.healthJson).to.equal('{"cpuCount":2}');
    expect(counted.writes()).to.equal(1);
    expect(sink.events).to.have.length(1);
    await domain.setActive(alice, 'm1', true, clock.now(), '{"cpuCount":3}');
    expect(counted.writes()).to.equal(1);
    expect((await counted.store.get(alice, 'm1'))?.healthJson).to.equal('{"cpuCount":2}');
  });

  it('when an alive time lies in the future, then activeAt is clamped to now', async () => {
    await reg();
    const out = await domain.setActive(alice, 'm1', true, clock.now() + 60_000, undefined);
    expect(out.record.activeAt).to.equal(clock.now());
  });

  it('when bob is refused, then nothing changes and nothing is published', async () => {
    await reg();
    sink.clear();
    const before = await counted.store.adminList(null);
    const attempts = [
      () => reg(bob),
      () => domain.updateDoc(bob, 'm1', 'metadata', 1, '{}'),
      () => domain.setActive(bob, 'm1', true, 0, undefined),
      () => domain.setDisplayName(bob, 'm1', 'x'),
    ];
    for (const attempt of attempts) {
      const err = await attempt().then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(AppError);
      expect((err as AppError).code).to.equal('permission_denied');
    }
    expect(await counted.store.adminList(null)).to.deep.equal(before);
    expect(sink.events).to.have.length(0);
  });

  it('when publishing fails, then the write still succeeds', async () => {
    sink.failing = true;
    const { created } = await reg();
    expect(created).to.equal(true);
    expect((await domain.get(alice, 'm1')).id).to.equal('m1');
  });

  it('when a machine is forgotten or transferred, then the old namespace gets data:null and the new one the machine', async () => {
    await reg(alice, 'm1');
    await reg(alice, 'm2');
    sink.clear();
    await domain.adminForget('m1');
    await domain.adminTransfer('m2', 'bob');
    expect(sink.events.map((e) => [e.ns, e.input.entityId, (e.input.syncEvent as { data: unknown }).data === null])).to.deep.equal([
      ['alice', 'm1', true],
      ['alice', 'm2', true],
      ['bob', 'm2', false],
    ]);
  });

  it('when inputs are malformed, then invalid_argument is answered', async () => {
    const bad = [
      () => domain.register(alice, { id: '', metadataJson: '{}', hasRunnerState: false }),
      () => domain.register(alice, { id: 'x'.repeat(600), metadataJson: '{}', hasRunnerState: false }),
      () => domain.register(alice, { id: 'm9', metadataJson: '{not json', hasRunnerState: false }),
      () => domain.setActive(alice, 'm9', true, 0, '{bad'),
    ];
    for (const call of bad) {
      const err = await call().then(() => null, (e: unknown) => e);
      expect((err as AppError).code).to.equal('invalid_argument');
    }
  });

  it('when a machine has no metadata, then setDisplayName is a failed precondition', async () => {
    await reg(alice, 'm1', {});
    const err = await domain.setDisplayName(alice, 'm1', 'x').then(() => null, (e: unknown) => e);
    expect((err as AppError).code).to.equal('failed_precondition');
  });
});
