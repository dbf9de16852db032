import { expect } from 'chai';
import { startPushStub, type PushStub } from './push-stub.js';
import { startSurfaceHub, type SurfaceHub } from './surface-hub.js';
import { World } from './world.js';

/*
 * Web Push against SURFACE_HUB with a push service stub on loopback: a permission request in
 * alice's session, while no page of hers is visible, is pushed to alice's subscription only,
 * signed with the hub's VAPID key and encrypted (aes128gcm); bob's subscription gets nothing.
 * With a visible page the same request becomes an SSE toast (checked in hapi-reference.test.ts).
 */

describe(`surface: Web Push against ${process.env.SURFACE_HUB ?? 'hapi'}`, function () {
  this.timeout(60_000);
  let hub: SurfaceHub;
  let w: World;
  let stub: PushStub;

  before(async function () {
    this.timeout(120_000);
    stub = await startPushStub();
    hub = await startSurfaceHub(process.env, { hubEnv: { NODE_EXTRA_CA_CERTS: stub.caFile } });
    w = await World.create(hub);
  });
  after(async () => {
    await w?.close();
    await hub?.stop();
    await stub?.close();
  });

  it('when alice gets a permission request and no page of hers is visible, then her subscription receives one VAPID-signed encrypted push and bob\'s none', async () => {
    for (const who of ['alice', 'bob'] as const) {
      const r = await w.request('web', 'POST', '/api/push/subscribe', { who, body: stub.subscription(who) });
      expect(r.status, r.text).to.equal(200);
    }
    const vapid = (await w.request('web', 'GET', '/api/push/vapid-public-key')).json.publicKey as string;
    const aliceSession = await w.session('push');
    const bobSession = await w.session('push-bob', { who: 'bob' });
    await w.permissionRequest(aliceSession);
    const push = await stub.waitPush('alice');
    expect(push.headers['content-encoding']).to.equal('aes128gcm');
    expect(push.headers.authorization).to.match(new RegExp(`^vapid t=[^,]+, k=${vapid}$`));
    expect(push.bytes).to.be.greaterThan(0);
    // Bob's own request is the marker: once his push arrived, a stray copy of alice's would have too.
    await w.permissionRequest(bobSession);
    await stub.waitPush('bob');
    expect(stub.received.filter((p) => p.path === '/bob'), 'bob got alice\'s push').to.have.length(1);
    expect(stub.received.filter((p) => p.path === '/alice'), 'alice got bob\'s push').to.have.length(1);
  });
});
