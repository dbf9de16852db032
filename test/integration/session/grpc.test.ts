import { expect } from 'chai';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { RpcClient } from '../../../lib/grpc/client.js';
import { buildGrpcServer, type BuiltServer } from '../../../lib/grpc/server.js';
import { SessionServiceService } from '../../../lib/gen/teamhub/session/v1/session.js';
import { CasResult } from '../../../lib/gen/teamhub/common/v1/common.js';
import { seenEvent, type SeenEvent } from '../seen-events.js';
import { startTestPipeline } from '../../helpers/event-pipeline.js';
import type { EventPipeline } from '../../../lib/events/pipeline.js';
import { entitySubject, namespaceWildcard } from '../../../lib/nats/subjects.js';
import { AppError } from '../../../lib/errors.js';
import { createRootLogger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { MongoSessionStore } from '../../../services/session/store-mongo.js';
import { buildServices, HEALTH_NAME, REFLECTION_PROTOS } from '../../../services/session/server.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';

const SECRET = 'session-test-internal-secret-0123456789';
const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;
const META = '{"path":"/tmp/proj","host":"peerhost"}';

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).to.be.instanceOf(AppError);
  return err as AppError;
}

describe('session service over gRPC (real NATS + jongodb)', function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let mongo: MongoServer;
  let nc: NatsConnection;
  let store: MongoSessionStore;
  let events: EventPipeline;
  let server: BuiltServer;
  let client: RpcClient<typeof SessionServiceService>;
  let addr: string;
  const seen = new Map<string, { subject: string; ev: SeenEvent }[]>();
  const subs: Subscription[] = [];

  function watch(space: Namespace): void {
    const sub = nc.subscribe(namespaceWildcard(space));
    subs.push(sub);
    seen.set(space, []);
    void (async () => {
      for await (const m of sub) seen.get(space)!.push({ subject: m.subject, ev: seenEvent(m.subject, m.data) });
    })();
  }

  before(async () => {
    [nats, mongo] = await Promise.all([startNats(), startMongo()]);
    nc = await connect({ servers: nats.url });
    store = await MongoSessionStore.open(mongo.url, mongo.freshDbName());
    const log = createRootLogger('session-test', 'silent');
    server = buildGrpcServer({
      healthName: HEALTH_NAME,
      internalSecret: SECRET,
      log,
      services: buildServices({ store, sink: (events = await startTestPipeline(nc, store.outbox)).sink }),
      aroundCall: events.aroundCall,
      reflectionProtos: REFLECTION_PROTOS,
    });
    addr = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    client = new RpcClient(SessionServiceService, addr, { internalSecret: SECRET });
    watch(alice);
    watch(bob);
    await nc.flush();
  });

  after(async () => {
    client?.close();
    subs.forEach((s) => s.unsubscribe());
    await server?.stop(1000);
    await events?.close();
    await store?.close();
    await nc?.close();
    await Promise.all([nats?.stop(), mongo?.stop()]);
  });

  it('when a call lacks the internal secret or the namespace, then it is refused UNAUTHENTICATED', async () => {
    const wrong = new RpcClient(SessionServiceService, addr, { internalSecret: 'not-the-secret-at-all-000' });
    try {
      expect((await refusal(wrong.call('listSessions', { namespace: '' }, { namespace: alice }))).code).to.equal('unauthenticated');
    } finally {
      wrong.close();
    }
    expect((await refusal(client.call('listSessions', { namespace: '' }, { hub: true }))).code).to.equal('unauthenticated');
  });

  it('when the body namespace differs from the metadata one, then it is refused', async () => {
    const err = await refusal(client.call('createOrLoadSession', { namespace: bob, tag: 'x', metadataJson: META }, { namespace: alice }));
    expect(err.code).to.equal('permission_denied');
    expect((await client.call('listSessions', { namespace: '' }, { namespace: alice })).sessions).to.deep.equal([]);
  });

  it("when alice creates a session, then bob gets PERMISSION_DENIED on it and events stay in alice's namespace", async () => {
    const { session, created } = await client.call('createOrLoadSession', { namespace: alice, tag: 'tag-1', metadataJson: META }, { namespace: alice });
    expect(created).to.equal(true);
    const sid = session!.id;
    const denied = await refusal(client.call('getSession', { namespace: bob, id: sid }, { namespace: bob }));
    expect([denied.code, denied.message]).to.deep.equal(['permission_denied', 'Session access denied']);
    const missing = await refusal(client.call('getSession', { namespace: bob, id: 'no-such-id' }, { namespace: bob }));
    expect([missing.code, missing.message]).to.deep.equal(['not_found', 'Session not found']);
    expect((await refusal(client.call('appendMessage', { namespace: bob, sessionId: sid, contentJson: '{}', invoked: true }, { namespace: bob }))).code).to.equal('permission_denied');
    expect((await refusal(client.call('createOrLoadSession', { namespace: bob, id: sid, tag: 'tag-x' }, { namespace: bob }))).code).to.equal('conflict');

    const msg = await client.call('appendMessage', { namespace: alice, sessionId: sid, contentJson: '{"role":"agent","$where":"x"}', localId: 'L1', invoked: true, origin: 'gw-a/s1' }, { namespace: alice });
    expect(msg.message).to.include({ seq: 1, localId: 'L1', contentJson: '{"role":"agent","$where":"x"}' });

    const events = await waitFor(() => {
      const got = seen.get(alice)!;
      return got.length >= 3 ? got : null;
    });
    expect(events.map((e) => e.ev.type)).to.deep.equal(['session-added', 'session-updated', 'message-received']);
    expect(events[0]!.subject).to.equal(entitySubject(alice, 'session', sid, 'upserted'));
    expect(events[2]!.subject).to.equal(entitySubject(alice, 'message', sid, 'appended'));
    expect(events[2]!.ev).to.include({ namespace: alice, sessionId: sid, origin: 'gw-a/s1' });
    expect(JSON.parse(events[0]!.ev.syncEventJson).data.metadata).to.deep.equal({ path: '/tmp/proj', host: 'peerhost' });
    expect(seen.get(bob)).to.deep.equal([]);
  });

  it('when metadata is updated over gRPC, then success then version-mismatch carry the HAPI ack fields', async () => {
    const { session } = await client.call('createOrLoadSession', { namespace: alice, tag: 'cas', metadataJson: META }, { namespace: alice });
    const req = { namespace: alice, id: session!.id, expectedVersion: 1, json: '{"path":"/q","host":"h","a.b":1}' };
    const ok = await client.call('updateMetadata', req, { namespace: alice });
    expect(ok).to.deep.include({ result: CasResult.CAS_RESULT_SUCCESS, version: 2, json: req.json });
    const stale = await client.call('updateMetadata', { ...req, json: '{}' }, { namespace: alice });
    expect(stale).to.deep.include({ result: CasResult.CAS_RESULT_VERSION_MISMATCH, version: 2, json: req.json });
    expect((await refusal(client.call('updateMetadata', { ...req, namespace: bob, expectedVersion: 2 }, { namespace: bob }))).code).to.equal('permission_denied');
  });

  it('when ten creates race on one tag, then all get the same session and exactly one was created', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => client.call('createOrLoadSession', { namespace: alice, tag: 'race', metadataJson: META }, { namespace: alice })),
    );
    expect(new Set(results.map((r) => r.session!.id)).size).to.equal(1);
    expect(results.filter((r) => r.created)).to.have.length(1);
  });

  it('when an active session is deleted, then FAILED_PRECONDITION; after it ends, delete works and messages go too', async () => {
    const { session } = await client.call('createOrLoadSession', { namespace: alice, tag: 'del' }, { namespace: alice });
    const id = session!.id;
    await client.call('appendMessage', { namespace: alice, sessionId: id, contentJson: '{}', invoked: true }, { namespace: alice });
    expect((await client.call('setSessionActive', { namespace: alice, id, active: true, at: 5 }, { namespace: alice })).changed).to.equal(true);
    const busy = await refusal(client.call('deleteSession', { namespace: alice, id }, { namespace: alice }));
    expect([busy.code, busy.message]).to.deep.equal(['failed_precondition', 'Cannot delete active session. Archive it first.']);
    await client.call('endSession', { namespace: alice, id, at: 6, reason: 'completed' }, { namespace: alice });
    await client.call('deleteSession', { namespace: alice, id }, { namespace: alice });
    expect((await refusal(client.call('listMessages', { namespace: alice, sessionId: id, limit: 10 }, { namespace: alice }))).code).to.equal('not_found');
  });
});
