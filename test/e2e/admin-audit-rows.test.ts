import { expect } from 'chai';
import { startHub, http, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';

interface Entry {
  action: string;
  namespace: string | null;
  actor: string;
  outcome: string;
  detail: string;
}

/**
 * One admin action, one audit row, whichever layer performs it: namespace changes are recorded
 * by the auth service, machine changes by the gateway; a good admin token and admin reads add
 * nothing. (It used to be three rows: the token check, the auth service and the gateway.)
 */
describe('e2e admin: each admin action writes exactly one audit row', function () {
  this.timeout(60_000);
  let hub: Hub;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_NAMESPACE_MODE: 'registered' } });
  });
  after(async () => hub?.stop());

  const admin = (method: string, path: string, body?: unknown) => http(hub.url, method, path, { token: hub.adminToken, body });
  const all = async (): Promise<Entry[]> => {
    const r = await admin('GET', '/admin/v1/audit?limit=500');
    expect(r.status, r.text).to.equal(200);
    return r.json.entries as Entry[];
  };
  /** The rows an action added (the audit log is newest first). */
  async function rowsOf(action: () => Promise<unknown>): Promise<Entry[]> {
    const before = (await all()).length;
    await action();
    const after = await all();
    return after.slice(0, after.length - before);
  }

  it('when the admin creates, rotates and revokes a namespace, then each writes one row, by the auth service', async () => {
    const created = await rowsOf(async () => expect((await admin('POST', '/admin/v1/namespaces', { name: 'team-a' })).status).to.equal(200));
    expect(created).to.have.length(1);
    expect(created[0]).to.include({ action: 'namespace_create', namespace: 'team-a', actor: 'admin', outcome: 'ok', detail: 'create-namespace' });
    const rotated = await rowsOf(async () => expect((await admin('POST', '/admin/v1/namespaces/team-a/rotate')).status).to.equal(200));
    expect(rotated.map((e) => [e.action, e.detail])).to.deep.equal([['token_rotated', 'rotate-namespace']]);
    const revoked = await rowsOf(async () => expect((await admin('POST', '/admin/v1/namespaces/team-a/revoke')).status).to.equal(200));
    expect(revoked.map((e) => [e.action, e.namespace, e.detail])).to.deep.equal([['token_revoked', 'team-a', 'revoke-namespace']]);
  });

  it('when the admin forgets and transfers machines, then each writes one row, by the gateway', async () => {
    const a = (await admin('POST', '/admin/v1/namespaces', { name: 'team-b' })).json.token as string;
    await admin('POST', '/admin/v1/namespaces', { name: 'team-c' });
    for (const id of ['audit-m1', 'audit-m2']) {
      const r = await http(hub.url, 'POST', '/cli/machines', { token: a, body: { id, metadata: MACHINE_METADATA } });
      expect(r.status, r.text).to.equal(200);
    }
    const moved = await rowsOf(async () => expect((await admin('POST', '/admin/v1/machines/audit-m1/transfer', { namespace: 'team-c' })).status).to.equal(200));
    expect(moved.map((e) => [e.action, e.namespace, e.actor, e.detail])).to.deep.equal([['machine_transfer', 'team-c', 'admin', 'transfer-machine audit-m1']]);
    const forgotten = await rowsOf(async () => expect((await admin('DELETE', '/admin/v1/machines/audit-m2')).json).to.deep.equal({ forgotten: true }));
    expect(forgotten.map((e) => [e.action, e.actor, e.detail])).to.deep.equal([['machine_forget', 'admin', 'forget-machine audit-m2']]);
  });

  it('when the admin only reads, then no row is written; a refused admin token is one row', async () => {
    const reads = await rowsOf(async () => {
      for (const path of ['/admin/v1/namespaces', '/admin/v1/machines', '/admin/v1/audit?limit=5']) expect((await admin('GET', path)).status).to.equal(200);
    });
    expect(reads).to.deep.equal([]);
    const refused = await rowsOf(async () => expect((await http(hub.url, 'GET', '/admin/v1/namespaces', { token: 'not-the-admin-token-at-all' })).status).to.equal(403));
    expect(refused.map((e) => [e.action, e.outcome])).to.deep.equal([['admin_login_failed', 'denied']]);
    expect((await all()).filter((e) => e.action === 'admin_login' || e.action === 'admin')).to.deep.equal([]);
  });
});
