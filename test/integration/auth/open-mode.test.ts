import { expect } from 'chai';
import { RpcClient } from '../../../lib/grpc/client.js';
import { AuthServiceService, CredentialKind } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { verifyWebJwt } from '../../../lib/auth/jwt.js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { waitFor } from '../../helpers/ports.js';
import { ADMIN, BASE, rejection, startAuth, type AuthHarness } from './harness.js';

const HUB = { hub: true } as const;

describe('auth service (open mode, real gRPC + Mongo + NATS)', () => {
  let nats: NatsServer;
  let mongo: MongoServer;
  let h: AuthHarness;

  before(async () => {
    [nats, mongo] = await Promise.all([startNats(), startMongo()]);
    h = await startAuth({ mongoUrl: mongo.url, dbName: mongo.freshDbName(), natsUrl: nats.url });
  });
  after(async () => {
    await h?.stop();
    await Promise.all([nats?.stop(), mongo?.stop()]);
  });

  it('when base:alice, base:bob and base resolve, then each gets its own namespace', async () => {
    for (const [token, ns] of [[`${BASE}:alice`, 'alice'], [`${BASE}:bob`, 'bob'], [BASE, 'default']]) {
      const res = await h.client.call('resolveAccessToken', { accessToken: token!, clientAddr: '10.1.0.1', surface: 'cli' }, HUB);
      expect(res).to.deep.equal({ namespace: ns, kind: CredentialKind.CREDENTIAL_KIND_BASE });
    }
  });

  it('when the token is wrong, then UNAUTHENTICATED "Invalid token"', async () => {
    const err = await rejection(h.client.call('resolveAccessToken', { accessToken: 'wrong:alice', clientAddr: '10.1.0.2', surface: 'cli' }, HUB));
    expect([err.code, err.message]).to.deep.equal(['unauthenticated', 'Invalid token']);
  });

  it('when a web token is issued for base:alice, then it is HAPI-shaped and verifies with the verifier key', async () => {
    const res = await h.client.call('issueWebToken', { credential: { $case: 'accessToken', accessToken: `${BASE}:alice` }, clientAddr: '10.1.0.3' }, HUB);
    expect(res.namespace).to.equal('alice');
    expect(res.user).to.include({ id: h.secrets.ownerId, firstName: 'Web User', username: undefined, lastName: undefined });
    expect(decodeProtectedHeader(res.token)).to.deep.equal({ alg: 'HS256' });
    const claims = decodeJwt(res.token);
    expect(claims.exp! - claims.iat!).to.equal(4 * 3600);
    const verifier = await h.client.call('getJwtVerifier', {}, HUB);
    const verified = await verifyWebJwt(res.token, new Uint8Array(verifier.jwtSecret));
    expect(verified).to.include({ uid: h.secrets.ownerId, ns: 'alice' });
  });

  it('when issueWebToken gets a bad token or no credential, then "Invalid access token" / INVALID_ARGUMENT', async () => {
    const bad = await rejection(h.client.call('issueWebToken', { credential: { $case: 'accessToken', accessToken: `${BASE}: alice` }, clientAddr: '10.1.0.4' }, HUB));
    expect([bad.code, bad.message]).to.deep.equal(['unauthenticated', 'Invalid access token']);
    const none = await rejection(h.client.call('issueWebToken', { clientAddr: '10.1.0.4' }, HUB));
    expect(none.code).to.equal('invalid_argument');
  });

  it('when alice logs out, then the jti is revoked, listed by the verifier and published on NATS; bob is untouched', async () => {
    const a = await h.client.call('issueWebToken', { credential: { $case: 'accessToken', accessToken: `${BASE}:alice` }, clientAddr: '10.1.0.5' }, HUB);
    const b = await h.client.call('issueWebToken', { credential: { $case: 'accessToken', accessToken: `${BASE}:bob` }, clientAddr: '10.1.0.5' }, HUB);
    const claims = decodeJwt(a.token);
    await h.client.call('revokeWebToken', { namespace: 'alice', jti: claims.jti!, expiresAt: claims.exp!, clientAddr: '10.1.0.5' }, { namespace: 'alice' as never });
    const ev = await waitFor(() => h.events.find((e) => e.jti === claims.jti), { what: 'revocation event' });
    expect(ev).to.deep.include({ namespace: 'alice', expiresAt: claims.exp, credentialsChanged: false });
    const v = await h.client.call('getJwtVerifier', {}, HUB);
    const revoked = new Set(v.revoked.map((r) => r.jti));
    const revocations = { isRevoked: (j: string) => revoked.has(j), revokedBefore: (ns: string) => v.revokedBefore[ns] };
    const err = await rejection(verifyWebJwt(a.token, new Uint8Array(v.jwtSecret), revocations));
    expect(err.message).to.equal('Invalid token');
    expect((await verifyWebJwt(b.token, new Uint8Array(v.jwtSecret), revocations)).ns).to.equal('bob');
  });

  it('when bob asks to revoke with namespace alice in the body, then PERMISSION_DENIED', async () => {
    const err = await rejection(h.client.call('revokeWebToken', { namespace: 'alice', jti: 'x', expiresAt: 0, clientAddr: '' }, { namespace: 'bob' as never }));
    expect(err.code).to.equal('permission_denied');
  });

  it('when audit entries exist for alice and bob, then each sees only its own and the hub sees all', async () => {
    await h.client.call('resolveAccessToken', { accessToken: `${BASE}:alice`, clientAddr: '10.2.0.1', surface: 'socket' }, HUB);
    await h.client.call('resolveAccessToken', { accessToken: `${BASE}:bob`, clientAddr: '10.2.0.2', surface: 'socket' }, HUB);
    await h.client.call('recordAudit', { entry: { id: '', at: 0, action: 'machine_forget', clientAddr: '10.2.0.3', outcome: 'ok', actor: 'admin', detail: 'm1', namespace: 'bob' } }, HUB);
    const aliceView = await h.client.call('listAudit', { limit: 500 }, { namespace: 'alice' as never });
    const bobView = await h.client.call('listAudit', { limit: 500 }, { namespace: 'bob' as never });
    expect(aliceView.entries.length).to.be.greaterThan(0);
    expect(aliceView.entries.every((e) => e.namespace === 'alice')).to.equal(true);
    expect(bobView.entries.every((e) => e.namespace === 'bob')).to.equal(true);
    expect(bobView.entries.map((e) => e.action)).to.include('machine_forget');
    const all = await h.client.call('listAudit', { limit: 500 }, HUB);
    const namespaces = new Set(all.entries.map((e) => e.namespace ?? null));
    expect([...namespaces]).to.include.members(['alice', 'bob', null]);
    const ats = all.entries.map((e) => e.at);
    expect(ats).to.deep.equal([...ats].sort((x, y) => y - x));
    const onlyBob = await h.client.call('listAudit', { namespace: 'bob', limit: 500 }, HUB);
    expect(onlyBob.entries.length).to.equal(bobView.entries.length);
  });

  it('when bob asks for alice\'s audit or records an entry for alice, then refused', async () => {
    const list = await rejection(h.client.call('listAudit', { namespace: 'alice', limit: 10 }, { namespace: 'bob' as never }));
    expect(list.code).to.equal('permission_denied');
    const rec = await rejection(
      h.client.call('recordAudit', { entry: { id: '', at: 0, action: 'x', namespace: 'alice', clientAddr: '', outcome: 'ok', actor: 'a', detail: '' } }, { namespace: 'bob' as never }),
    );
    expect(rec.code).to.equal('permission_denied');
  });

  it('when the admin token is checked, then only the admin token passes (never the base token)', async () => {
    await h.client.call('checkAdminToken', { adminToken: ADMIN, clientAddr: '10.3.0.1', action: 'list' }, HUB);
    for (const t of [BASE, `${BASE}:alice`, 'nope', '']) {
      const err = await rejection(h.client.call('checkAdminToken', { adminToken: t, clientAddr: '10.3.0.1', action: 'list' }, HUB));
      expect(err.code).to.equal('unauthenticated');
    }
    const audit = await h.client.call('listAudit', { limit: 500 }, HUB);
    expect(audit.entries.filter((e) => e.action === 'admin_login_failed' && e.clientAddr === '10.3.0.1')).to.have.length(4);
  });

  it('when a call lacks the internal secret, has a wrong one, or a namespaced call hits a hub RPC, then UNAUTHENTICATED', async () => {
    const wrong = new RpcClient(AuthServiceService, h.address, { internalSecret: 'wrong-secret-0123456789' });
    try {
      const e1 = await rejection(wrong.call('getJwtVerifier', {}, HUB));
      expect(e1.code).to.equal('unauthenticated');
      const e2 = await rejection(wrong.call('listAudit', { limit: 1 }, { namespace: 'alice' as never }));
      expect(e2.code).to.equal('unauthenticated');
    } finally {
      wrong.close();
    }
    const e3 = await rejection(h.client.call('getJwtVerifier', {}, { namespace: 'alice' as never }));
    expect(e3.code).to.equal('unauthenticated');
    const empty = new RpcClient(AuthServiceService, h.address, { internalSecret: '' });
    try {
      expect((await rejection(empty.call('getHubInfo', {}, HUB))).code).to.equal('unauthenticated');
    } finally {
      empty.close();
    }
  });

  it('when hub info is asked, then open mode and Telegram disabled', async () => {
    expect(await h.client.call('getHubInfo', {}, HUB)).to.deep.equal({ namespaceMode: 'open', telegramEnabled: false });
  });
});
