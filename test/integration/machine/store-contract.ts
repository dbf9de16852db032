/**
 * The contract every MachineStore must pass, exercised through MachineDomain so the HAPI rules
 * (registration merge, CAS, global ids) are checked against each real store.
 */
import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import { MachineDomain } from '../../../services/machine/domain.js';
import { MachineEvents } from '../../../services/machine/events.js';
import { toProtoMachine } from '../../../services/machine/proto-map.js';
import { toHapiMachine } from '../../../gateway/hapi/machine-view.js';
import { byNamespace, type ByNamespace } from '../../unit/call-context.js';
import type { MachineStore } from '../../../services/machine/store.js';
import { RecordingSink, manualClock, ns } from '../../unit/machine/fakes.js';

const recordToHapi = (r: Parameters<typeof toProtoMachine>[0]) => toHapiMachine(toProtoMachine(r));

const alice = ns('alice');
const bob = ns('bob');
const META = { host: 'peerhost', platform: 'linux', happyCliVersion: '0.30.7' };

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

export function machineStoreContract(makeStore: () => Promise<MachineStore>): void {
  let store: MachineStore;
  let domain: ByNamespace<MachineDomain>;
  let sink: RecordingSink;
  let clock: ReturnType<typeof manualClock>;
  let n = 0;
  const uid = (p: string) => `${p}-${Date.now().toString(36)}-${n++}`;
  const reg = (space: typeof alice, id: string, metadata: unknown = META, runnerState?: unknown) =>
    domain.register(space, {
      id,
      metadataJson: JSON.stringify(metadata),
      hasRunnerState: runnerState !== undefined,
      runnerStateJson: runnerState === undefined || runnerState === null ? undefined : JSON.stringify(runnerState),
    });

  beforeEach(async () => {
    store = await makeStore();
    sink = new RecordingSink();
    clock = manualClock();
    domain = byNamespace(new MachineDomain(store, new MachineEvents(sink), clock.now));
  });

  afterEach(async () => {
    await store.close();
  });

  it('when a machine is registered the first time, then it answers the reference hub\'s HAPI shape', async () => {
    const { record, created } = await reg(alice, 'machine-base-alice');
    expect(created).to.equal(true);
    const t = clock.now();
    const expected = `{"id":"machine-base-alice","namespace":"alice","seq":0,"createdAt":${t},"updatedAt":${t},"active":false,"activeAt":${t},"metadata":{"host":"peerhost","platform":"linux","happyCliVersion":"0.30.7"},"metadataVersion":1,"runnerState":null,"runnerStateVersion":1,"health":null}`;
    expect(JSON.stringify(recordToHapi(record))).to.equal(expected);
    expect(JSON.stringify(recordToHapi((await domain.get(alice, 'machine-base-alice'))))).to.equal(expected);
  });

  it('when metadata is {} or lacks a required key, then it is stored as null, as the reference hub does', async () => {
    expect((await reg(alice, uid('m-y'), {})).record.metadataJson).to.equal(null);
    expect((await reg(alice, uid('m-z'), { host: 'h', platform: 'linux' })).record.metadataJson).to.equal(null);
  });

  it('when the first registration carries runnerState, then it is stored at version 1', async () => {
    const rs = { status: 'offline', pid: 7857, capabilities: { codexSharedRuntime: true } };
    const { record } = await reg(alice, uid('r'), META, rs);
    expect(JSON.parse(record.runnerStateJson!)).to.deep.equal(rs);
    expect(record.runnerStateVersion).to.equal(1);
  });

  it('when alice re-registers with new metadata and runnerState offline, then seq/metadataVersion bump and runnerState stays null, as the reference hub does', async () => {
    const id = uid('shared-machine');
    const first = (await reg(alice, id)).record;
    clock.tick(197);
    const { record, created } = await reg(alice, id, { ...META, host: 'peerhost2' }, { status: 'offline' });
    expect(created).to.equal(false);
    expect(recordToHapi(record)).to.deep.include({
      seq: 1,
      createdAt: first.createdAt,
      updatedAt: first.createdAt + 197,
      activeAt: first.createdAt,
      metadata: { ...META, host: 'peerhost2' },
      metadataVersion: 2,
      runnerState: null,
      runnerStateVersion: 1,
    });
  });

  it('when a machine re-registers with identical metadata and capabilities, then nothing is written (runner log)', async () => {
    const id = uid('same');
    const rs = { status: 'offline', capabilities: { a: true } };
    await reg(alice, id, META, rs);
    const running = await domain.updateDoc(alice, id, 'runnerState', 1, JSON.stringify({ status: 'running', capabilities: { a: true } }));
    sink.clear();
    const { record } = await reg(alice, id, META, rs);
    expect(record).to.deep.equal(running.record);
    expect(JSON.parse(record.runnerStateJson!).status).to.equal('running');
    expect(sink.events).to.have.length(0);
  });

  it('when a runner re-registers with new capabilities, then only capabilities merge into the live runnerState', async () => {
    const id = uid('caps');
    await reg(alice, id, META, { status: 'offline', pid: 1, capabilities: { a: true } });
    await domain.updateDoc(alice, id, 'runnerState', 1, JSON.stringify({ status: 'running', pid: 1, capabilities: { a: true } }));
    const { record } = await reg(alice, id, META, { status: 'offline', pid: 2, capabilities: { b: true } });
    expect(JSON.parse(record.runnerStateJson!)).to.deep.equal({ status: 'running', pid: 1, capabilities: { a: true, b: true } });
    expect(record.runnerStateVersion).to.equal(3);
  });

  it('when a machine has a displayName, then re-registration keeps it', async () => {
    const id = uid('named');
    await reg(alice, id);
    await domain.setDisplayName(alice, id, 'Build box');
    const { record } = await reg(alice, id, { ...META, happyCliVersion: '0.31.0' });
    expect(JSON.parse(record.metadataJson!)).to.deep.equal({ ...META, happyCliVersion: '0.31.0', displayName: 'Build box' });
    expect(record.metadataVersion).to.equal(3);
    const cleared = await domain.setDisplayName(alice, id, undefined);
    expect(JSON.parse(cleared.metadataJson!)).to.not.have.property('displayName');
  });

  it("when bob touches alice's machine in any way, then he is refused with 'Machine access denied' and nothing changes", async () => {
    const id = uid('alice-only');
    const before = (await reg(alice, id)).record;
    const denied = [
      () => reg(bob, id),
      () => domain.get(bob, id),
      () => domain.updateDoc(bob, id, 'metadata', 1, JSON.stringify({ ...META, host: 'evil' })),
      () => domain.updateDoc(bob, id, 'runnerState', 1, JSON.stringify({ status: 'running' })),
      () => domain.setDisplayName(bob, id, 'mine'),
      () => domain.setActive(bob, id, true, clock.now(), undefined),
    ];
    for (const call of denied) {
      const err = await rejection(call());
      expect([err.code, err.message]).to.deep.equal(['permission_denied', 'Machine access denied']);
    }
    expect((await domain.list(bob, false)).map((m) => m.id)).to.not.include(id);
    expect(await domain.get(alice, id)).to.deep.equal(before);
  });

  it("when an id is unknown, then every namespaced call answers not_found 'Machine not found'", async () => {
    const calls = [
      () => domain.get(alice, 'nope'),
      () => domain.updateDoc(alice, 'nope', 'metadata', 1, '{}'),
      () => domain.setDisplayName(alice, 'nope', 'x'),
      () => domain.setActive(alice, 'nope', true, 0, undefined),
    ];
    for (const call of calls) {
      const err = await rejection(call());
      expect([err.code, err.message]).to.deep.equal(['not_found', 'Machine not found']);
    }
  });

  it('when alice and bob register one new id at the same time, then exactly one wins and the other is denied', async () => {
    for (let i = 0; i < 5; i++) {
      const id = uid('race');
      const results = await Promise.allSettled([reg(alice, id), reg(bob, id)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won).to.have.length(1);
      expect(lost).to.have.length(1);
      expect((lost[0]!.reason as AppError).code).to.equal('permission_denied');
      const owner = await store.ownerOf(id);
      expect((won[0] as PromiseFulfilledResult<{ record: { namespace: string } }>).value.record.namespace).to.equal(owner);
    }
  });

  it('when versions match, then CAS succeeds; when stale, then it answers version-mismatch with the current doc', async () => {
    const id = uid('cas');
    await reg(alice, id);
    const next = { ...META, host: 'h2' };
    const ok = await domain.updateDoc(alice, id, 'metadata', 1, JSON.stringify(next));
    expect([ok.ok, ok.version, JSON.parse(ok.json!)]).to.deep.equal([true, 2, next]);
    const stale = await domain.updateDoc(alice, id, 'metadata', 1, JSON.stringify({ ...META, host: 'h3' }));
    expect([stale.ok, stale.version, JSON.parse(stale.json!)]).to.deep.equal([false, 2, next]);
    expect(stale.record.seq).to.equal(1);
  });

  it('when runnerState is updated, then the machine becomes active at that moment', async () => {
    const id = uid('rs');
    await reg(alice, id);
    clock.tick(50);
    const out = await domain.updateDoc(alice, id, 'runnerState', 1, JSON.stringify({ status: 'running' }));
    expect(out.record).to.deep.include({ active: true, activeAt: clock.now(), runnerStateVersion: 2, seq: 1 });
    expect((await domain.list(alice, true)).map((m) => m.id)).to.include(id);
    const nul = await domain.updateDoc(alice, id, 'runnerState', 2, undefined);
    expect([nul.ok, nul.json, nul.version]).to.deep.equal([true, null, 3]);
  });

  it('when active does not change, then setActive reports changed=false and stores nothing', async () => {
    const id = uid('alive');
    await reg(alice, id);
    clock.tick(10);
    const on = await domain.setActive(alice, id, true, clock.now(), '{"cpu":1}');
    expect(on.changed).to.equal(true);
    expect(on.record).to.deep.include({ active: true, activeAt: clock.now(), healthJson: '{"cpu":1}' });
    clock.tick(10);
    const again = await domain.setActive(alice, id, true, clock.now(), '{"cpu":2}');
    expect(again.changed).to.equal(false);
    expect(again.record.healthJson).to.equal('{"cpu":2}');
    expect(await domain.get(alice, id)).to.deep.equal(on.record);
    const off = await domain.setActive(alice, id, false, clock.now(), undefined);
    expect(off.changed).to.equal(true);
    expect((await domain.list(alice, true)).map((m) => m.id)).to.not.include(id);
  });

  it('when health is stored, then only the owning namespace can write it', async () => {
    const id = uid('health');
    await reg(alice, id);
    expect(await store.setHealth(bob, id, '{"cpu":9}')).to.equal(null);
    expect((await store.get(alice, id))?.healthJson).to.equal(null);
    const rec = await store.setHealth(alice, id, '{"cpu":1}');
    expect(rec?.healthJson).to.equal('{"cpu":1}');
  });

  it('when a machine is forgotten, then its id can be registered in another namespace', async () => {
    const id = uid('forget');
    await reg(alice, id);
    expect(await domain.adminForget(id)).to.equal(true);
    expect(await domain.adminForget(id)).to.equal(false);
    expect((await rejection(domain.get(alice, id))).code).to.equal('not_found');
    expect((await reg(bob, id)).record.namespace).to.equal('bob');
  });

  it('when a machine is transferred, then only the new namespace can use it', async () => {
    const id = uid('move');
    await reg(alice, id);
    const moved = await domain.adminTransfer(id, 'bob');
    expect(moved).to.deep.include({ namespace: 'bob', active: false, seq: 1 });
    expect((await rejection(domain.get(alice, id))).code).to.equal('permission_denied');
    expect((await domain.get(bob, id)).namespace).to.equal('bob');
    expect((await domain.adminList(bob)).map((m) => m.id)).to.include(id);
    expect((await domain.adminList(null)).map((m) => m.id)).to.include(id);
    expect((await rejection(domain.adminTransfer(id, ' bad'))).code).to.equal('invalid_argument');
    expect((await rejection(domain.adminTransfer('nope', 'bob'))).code).to.equal('not_found');
  });

  it('when client JSON has odd keys ($where, a.b, __proto__), then they round-trip unchanged', async () => {
    const id = uid('odd');
    const text = '{"host":"h","platform":"linux","happyCliVersion":"1","$where":"sleep(1)","a.b":{"c.d":1,"$gt":""},"__proto__":{"polluted":true}}';
    const { record } = await domain.register(alice, { id, metadataJson: text, hasRunnerState: true, runnerStateJson: '{"status":"x","$set":{"a.b":1}}' });
    expect(record.metadataJson).to.equal(text);
    expect((await domain.get(alice, id)).metadataJson).to.equal(text);
    expect((await domain.get(alice, id)).runnerStateJson).to.equal('{"status":"x","$set":{"a.b":1}}');
    const upd = await domain.updateDoc(alice, id, 'metadata', 1, text.replace('"h"', '"h2"'));
    expect((await domain.get(alice, id)).metadataJson).to.equal(text.replace('"h"', '"h2"'));
    expect(Object.prototype.hasOwnProperty.call(JSON.parse(upd.json!), '__proto__')).to.equal(true);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('when listing, then each namespace sees only its own machines', async () => {
    const a = uid('la');
    const b = uid('lb');
    await reg(alice, a);
    await reg(bob, b);
    const al = (await domain.list(alice, false)).map((m) => m.id);
    const bl = (await domain.list(bob, false)).map((m) => m.id);
    expect(al).to.include(a).and.not.include(b);
    expect(bl).to.include(b).and.not.include(a);
  });
}
