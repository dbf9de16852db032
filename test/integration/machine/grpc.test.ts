import { expect } from 'chai';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { pino } from 'pino';
import { RpcClient } from '../../../lib/grpc/client.js';
import { buildGrpcServer, type BuiltServer } from '../../../lib/grpc/server.js';
import { MachineServiceService } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { CasResult } from '../../../lib/gen/teamhub/common/v1/common.js';
import { seenEvent, type SeenEvent } from '../seen-events.js';
import { startTestPipeline } from '../../helpers/event-pipeline.js';
import type { EventPipeline } from '../../../lib/events/pipeline.js';
import { entitySubject, namespaceWildcard } from '../../../lib/nats/subjects.js';
import { AppError } from '../../../lib/errors.js';
import { MongoMachineStore } from '../../../services/machine/store-mongo.js';
import { buildServices, HEALTH_NAME } from '../../../services/machine/server.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';
import { ns } from '../../unit/machine/fakes.js';

const SECRET = 'machine-test-internal-secret-0123456789';
const alice = ns('alice');
const bob = ns('bob');
const META = JSON.stringify({ host: 'peerhost', platform: 'linux', happyCliVersion: '0.30.7' });

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).to.be.instanceOf(AppError);
  return err as AppError;
}

describe('machine service over gRPC (real NATS + jongodb)', function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let mongo: MongoServer;
  let nc: NatsConnection;
  let server: BuiltServer;
  let store: MongoMachineStore;
  let events: EventPipeline;
  let client: RpcClient<typeof MachineServiceService>;
  let addr: string;
  const seen = new Map<string, SeenEvent[]>();
  const subs: Subscription[] = [];

  function watch(space: typeof alice): void {
    const sub = nc.subscribe(namespaceWildcard(space));
    subs.push(sub);
    seen.set(space, []);
    void (async () => {
      for await (const m of sub) {
        const ev = seenEvent(m.subject, m.data);
        expect(m.subject).to.equal(entitySubject(space, 'machine', ev.entityId, ev.kind as 'upserted' | 'removed'));
        seen.get(space)!.push(ev);
      }
    })();
  }

  before(async () => {
    [nats, mongo] = await Promise.all([startNats(), startMongo()]);
    nc = await connect({ servers: nats.url });
    store = await MongoMachineStore.open(mongo.url, mongo.freshDbName());
    const log = pino({ level: 'silent' });
    server = buildGrpcServer({
      healthName: HEALTH_NAME,
      internalSecret: SECRET,
      log,
      services: buildServices({ store, sink: (events = await startTestPipeline(nc, store.outbox)).sink }),
      aroundCall: events.aroundCall,
    });
    addr = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    client = new RpcClient(MachineServiceService, addr, { internalSecret: SECRET });
    watch(alice);
    watch(bob);
  });

  after(async () => {
    client?.close();
    subs.forEach((s) => s.unsubscribe());
    await server?.stop(1000);
    await events?.close();
    await nc?.drain();
    await store?.close();
    await Promise.all([nats?.stop(), mongo?.stop()]);
  });

  it('when the internal secret is missing or wrong, then the call is unauthenticated', async () => {
    for (const secret of ['', 'not-the-right-secret-at-all']) {
      const wrong = new RpcClient(MachineServiceService, addr, { internalSecret: secret });
      try {
        const err = await refusal(wrong.call('listMachines', { namespace: '', activeOnly: false }, { namespace: alice }));
        expect(err.code).to.equal('unauthenticated');
      } finally {
        wrong.close();
      }
    }
  });

  it('when a namespaced call carries no namespace, or a different body namespace, then it is refused', async () => {
    expect((await refusal(client.call('getMachine', { namespace: '', id: 'x' }, { hub: true }))).code).to.equal('unauthenticated');
    expect((await refusal(client.call('getMachine', { namespace: 'bob', id: 'x' }, { namespace: alice }))).code).to.equal('permission_denied');
  });

  it('when an admin RPC lacks hub scope, then it is refused', async () => {
    expect((await refusal(client.call('adminListMachines', {}, { namespace: alice }))).code).to.equal('unauthenticated');
    expect((await refusal(client.call('adminForgetMachine', { id: 'x' }, { namespace: alice }))).code).to.equal('unauthenticated');
    expect((await refusal(client.call('adminTransferMachine', { id: 'x', toNamespace: 'bob' }, { namespace: alice }))).code).to.equal('unauthenticated');
  });

  it('when alice registers and updates a machine, then events land only under alice and bob is denied', async () => {
    const id = `grpc-${Date.now()}`;
    const reg = await client.call('registerMachine', { namespace: '', id, metadataJson: META, hasRunnerState: false }, { namespace: alice });
    expect(reg.created).to.equal(true);
    expect(reg.machine).to.deep.include({ id, namespace: 'alice', seq: 0, metadataVersion: 1, runnerStateVersion: 1, active: false });
    expect(reg.machine!.runnerStateJson).to.equal(undefined);

    const denied = await refusal(client.call('registerMachine', { namespace: '', id, metadataJson: META, hasRunnerState: false }, { namespace: bob }));
    expect([denied.code, denied.message]).to.deep.equal(['permission_denied', 'Machine access denied']);
    const get = await refusal(client.call('getMachine', { namespace: '', id }, { namespace: bob }));
    expect([get.code, get.message]).to.deep.equal(['permission_denied', 'Machine access denied']);
    const missing = await refusal(client.call('getMachine', { namespace: '', id: 'no-such-machine' }, { namespace: alice }));
    expect([missing.code, missing.message]).to.deep.equal(['not_found', 'Machine not found']);

    const upd = await client.call('updateRunnerState', { namespace: '', id, expectedVersion: 1, json: '{"status":"running"}' }, { namespace: alice });
    expect([upd.result, upd.version, upd.json, upd.machine!.active]).to.deep.equal([CasResult.CAS_RESULT_SUCCESS, 2, '{"status":"running"}', true]);
    const stale = await client.call('updateRunnerState', { namespace: '', id, expectedVersion: 1, json: '{"status":"x"}' }, { namespace: alice });
    expect([stale.result, stale.version, stale.json]).to.deep.equal([CasResult.CAS_RESULT_VERSION_MISMATCH, 2, '{"status":"running"}']);

    const named = await client.call('setDisplayName', { namespace: '', id, displayName: 'Box' }, { namespace: alice });
    expect(JSON.parse(named.machine!.metadataJson!).displayName).to.equal('Box');
    const listed = await client.call('listMachines', { namespace: '', activeOnly: true }, { namespace: alice });
    expect(listed.machines.map((m) => m.id)).to.include(id);
    expect((await client.call('listMachines', { namespace: '', activeOnly: false }, { namespace: bob })).machines.map((m) => m.id)).to.not.include(id);

    const events = await waitFor(() => {
      const mine = seen.get(alice)!.filter((e) => e.entityId === id);
      return mine.length >= 3 ? mine : null;
    });
    expect(events.every((e) => e.namespace === 'alice' && e.entity === 'machine' && e.type === 'machine-updated')).to.equal(true);
    expect(events.map((e) => e.kind)).to.deep.equal(['upserted', 'upserted', 'upserted']);
    expect(events[1]!.change).to.deep.include({ $case: 'machineUpserted' });
    const sync = JSON.parse(events[1]!.syncEventJson);
    expect(sync).to.deep.include({ type: 'machine-updated', machineId: id });
    expect(sync.data.runnerState).to.deep.equal({ status: 'running' });
    expect(JSON.parse(events[1]!.socketUpdateJson!)).to.deep.equal({
      t: 'update-machine', machineId: id, metadata: null, runnerState: { version: 2, value: { status: 'running' } },
    });
    expect(seen.get(bob)!.filter((e) => e.entityId === id)).to.have.length(0);
  });

  it('when the hub transfers and forgets a machine, then ownership follows and events go to each owner', async () => {
    const id = `admin-${Date.now()}`;
    await client.call('registerMachine', { namespace: '', id, metadataJson: META, hasRunnerState: false }, { namespace: alice });
    const all = await client.call('adminListMachines', {}, { hub: true });
    expect(all.machines.map((m) => m.id)).to.include(id);
    const moved = await client.call('adminTransferMachine', { id, toNamespace: 'bob' }, { hub: true });
    expect(moved.machine!.namespace).to.equal('bob');
    expect((await refusal(client.call('adminTransferMachine', { id, toNamespace: '' }, { hub: true }))).code).to.equal('invalid_argument');
    expect((await client.call('getMachine', { namespace: '', id }, { namespace: bob })).machine!.namespace).to.equal('bob');
    expect((await client.call('adminListMachines', { namespace: 'alice' }, { hub: true })).machines.map((m) => m.id)).to.not.include(id);
    expect((await client.call('adminForgetMachine', { id }, { hub: true })).forgotten).to.equal(true);
    const again = await client.call('registerMachine', { namespace: '', id, metadataJson: META, hasRunnerState: false }, { namespace: alice });
    expect(again.created).to.equal(true);
    await waitFor(() => seen.get(bob)!.some((e) => e.entityId === id && JSON.parse(e.syncEventJson).data === null));
    expect(seen.get(bob)!.every((e) => e.namespace === 'bob')).to.equal(true);
  });

  it('when a heartbeat changes nothing, then no event is published', async () => {
    const id = `alive-${Date.now()}`;
    await client.call('registerMachine', { namespace: '', id, metadataJson: META, hasRunnerState: false }, { namespace: alice });
    const on = await client.call('setMachineActive', { namespace: '', id, active: true, at: Date.now(), healthJson: '{"cpu":1}' }, { namespace: alice });
    expect(on.changed).to.equal(true);
    await waitFor(() => seen.get(alice)!.filter((e) => e.entityId === id).length === 2);
    const same = await client.call('setMachineActive', { namespace: '', id, active: true, at: Date.now(), healthJson: '{"cpu":2}' }, { namespace: alice });
    expect(same.changed).to.equal(false);
    // A later write is the fence: once its event arrived, the heartbeat would have too.
    await client.call('setMachineActive', { namespace: '', id, active: false, at: Date.now() }, { namespace: alice });
    const evs = await waitFor(() => {
      const mine = seen.get(alice)!.filter((e) => e.entityId === id);
      return mine.length >= 3 ? mine : null;
    });
    expect(evs).to.have.length(3);
    expect(JSON.parse(evs[2]!.syncEventJson).data.active).to.equal(false);
  });
});
