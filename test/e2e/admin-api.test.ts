import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';

describe('e2e admin: the admin API needs the admin token; machine ids can be moved and forgotten', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice: string;
  let bob: string;

  before(async () => {
    hub = await startHub();
    alice = `${hub.baseToken}:alice`;
    bob = `${hub.baseToken}:bob`;
  });
  after(async () => hub?.stop());

  const admin = (method: string, path: string, body?: unknown) => http(hub.url, method, path, { token: hub.adminToken, body });

  it('when admin routes get no header, then 401; the base token, base:bob or garbage, then 403 Admin token required', async () => {
    const none = await http(hub.url, 'GET', '/admin/v1/namespaces');
    expect(none.status).to.equal(401);
    for (const token of [hub.baseToken, bob, 'garbage', `${hub.adminToken}:bob`]) {
      for (const [method, path] of [['GET', '/admin/v1/namespaces'], ['GET', '/admin/v1/audit'], ['GET', '/admin/v1/machines'], ['DELETE', '/admin/v1/machines/x']]) {
        const r = await http(hub.url, method!, path!, { token });
        expect(r.status, `${token} ${path}`).to.equal(403);
        expect(r.text).to.equal('{"error":"Admin token required"}');
      }
    }
    const basic = await http(hub.url, 'GET', '/admin/v1/namespaces', { authorization: `Basic ${hub.adminToken}` });
    expect(basic.status).to.equal(403);
  });

  it('when the admin token is used, then the admin routes answer', async () => {
    const r = await admin('GET', '/admin/v1/namespaces');
    expect(r.status).to.equal(200);
    expect(r.json.namespaces).to.be.an('array');
  });

  it('when an admin transfers then forgets a machine id, then ownership follows and the id is free again', async () => {
    const mid = `m-${randomUUID()}`;
    expect((await http(hub.url, 'POST', '/cli/machines', { token: alice, body: { id: mid, metadata: MACHINE_METADATA } })).status).to.equal(200);
    const listed = await admin('GET', '/admin/v1/machines?namespace=alice');
    expect(listed.status).to.equal(200);
    expect(listed.json.machines.map((m: { id: string }) => m.id)).to.include(mid);
    const bobs = await admin('GET', '/admin/v1/machines?namespace=bob');
    expect(bobs.json.machines.map((m: { id: string }) => m.id)).to.not.include(mid);

    const moved = await admin('POST', `/admin/v1/machines/${mid}/transfer`, { namespace: 'bob' });
    expect(moved.status).to.equal(200);
    expect(moved.json.machine.namespace).to.equal('bob');
    expect((await http(hub.url, 'GET', `/cli/machines/${mid}`, { token: bob })).status).to.equal(200);
    expect((await http(hub.url, 'GET', `/cli/machines/${mid}`, { token: alice })).status).to.equal(403);

    const forgot = await admin('DELETE', `/admin/v1/machines/${mid}`);
    expect(forgot.status).to.equal(200);
    expect(forgot.json).to.deep.equal({ forgotten: true });
    expect((await http(hub.url, 'GET', `/cli/machines/${mid}`, { token: bob })).status).to.equal(404);
    const again = await http(hub.url, 'POST', '/cli/machines', { token: alice, body: { id: mid, metadata: MACHINE_METADATA } });
    expect(again.status).to.equal(200);
    expect(again.json.machine.namespace).to.equal('alice');

    expect((await admin('POST', `/admin/v1/machines/${mid}/transfer`, {})).status).to.equal(400);
    expect((await admin('POST', '/admin/v1/machines/no-such/transfer', { namespace: 'bob' })).status).to.equal(404);
  });

  it('when alice and bob read /api/audit, then each sees only their own namespace; the admin sees both and its own actions', async () => {
    const jwtA = (await http(hub.url, 'POST', '/api/auth', { body: { accessToken: alice } })).json.token as string;
    const jwtB = (await http(hub.url, 'POST', '/api/auth', { body: { accessToken: bob } })).json.token as string;
    const a = await http(hub.url, 'GET', '/api/audit?limit=500', { token: jwtA });
    const b = await http(hub.url, 'GET', '/api/audit?limit=500', { token: jwtB });
    expect(a.status).to.equal(200);
    expect(a.json.entries.length).to.be.greaterThan(0);
    expect(b.json.entries.length).to.be.greaterThan(0);
    expect(a.json.entries.every((e: { namespace: string }) => e.namespace === 'alice')).to.equal(true);
    expect(b.json.entries.every((e: { namespace: string }) => e.namespace === 'bob')).to.equal(true);
    expect((await http(hub.url, 'GET', '/api/audit?limit=0', { token: jwtA })).status).to.equal(400);

    const onlyAlice = await admin('GET', '/admin/v1/audit?namespace=alice&limit=500');
    expect(onlyAlice.json.entries.every((e: { namespace: string }) => e.namespace === 'alice')).to.equal(true);
    const all = await admin('GET', '/admin/v1/audit?limit=500');
    const namespaces = new Set(all.json.entries.map((e: { namespace: string | null }) => e.namespace));
    expect(namespaces.has('alice') && namespaces.has('bob')).to.equal(true);
    const adminEntries = all.json.entries.filter((e: { actor: string; detail: string }) => e.actor === 'admin');
    expect(adminEntries.some((e: { detail: string }) => e.detail.startsWith('transfer-machine'))).to.equal(true);
    expect(adminEntries.some((e: { detail: string }) => e.detail.startsWith('forget-machine'))).to.equal(true);
  });
});
