import { expect } from 'chai';
import { CredentialKind } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { verifyWebJwt } from '../../../lib/auth/jwt.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { waitFor } from '../../helpers/ports.js';
import { BASE, rejection, startAuth, type AuthHarness } from './harness.js';

const HUB = { hub: true } as const;

describe('auth service (registered mode, real gRPC + Mongo + NATS)', () => {
  let nats: NatsServer;
  let mongo: MongoServer;
  let h: AuthHarness;

  before(async () => {
    [nats, mongo] = await Promise.all([startNats(), startMongo()]);
    h = await startAuth({ mongoUrl: mongo.url, dbName: mongo.freshDbName(), natsUrl: nats.url, mode: 'registered' });
  });
  after(async () => {
    await h?.stop();
    await Promise.all([nats?.stop(), mongo?.stop()]);
  });

  const resolve = (token: string, addr = '10.5.0.1') => h.client.call('resolveAccessToken', { accessToken: token, clientAddr: addr, surface: 'cli' }, HUB);
  const login = (token: string) => h.client.call('issueWebToken', { credential: { $case: 'accessToken', accessToken: token }, clientAddr: '10.5.0.2' }, HUB);

  it('when alice and bob are created, then each token opens its own namespace only', async () => {
    const alice = await h.client.call('createNamespace', { name: 'alice', label: 'Alice', clientAddr: '10.5.0.9' }, HUB);
    const bob = await h.client.call('createNamespace', { name: 'bob', label: 'Bob', clientAddr: '10.5.0.9' }, HUB);
    expect(alice.token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(alice.namespace).to.include({ name: 'alice', label: 'Alice', revoked: false });
    expect(await resolve(alice.token)).to.deep.equal({ namespace: 'alice', kind: CredentialKind.CREDENTIAL_KIND_NAMESPACE_TOKEN });
    expect((await resolve(bob.token)).namespace).to.equal('bob');
    expect((await login(`  ${alice.token} `)).namespace).to.equal('alice');
  });

  it('when base:name or the bare base token is presented, then Invalid token', async () => {
    for (const t of [`${BASE}:alice`, BASE, `${BASE}:default`, '']) {
      const err = await rejection(resolve(t));
      expect([err.code, err.message]).to.deep.equal(['unauthenticated', 'Invalid token']);
    }
    expect((await rejection(login(`${BASE}:alice`))).message).to.equal('Invalid access token');
  });

  it('when a name is taken or invalid, then ALREADY_EXISTS / INVALID_ARGUMENT', async () => {
    expect((await rejection(h.client.call('createNamespace', { name: 'alice', label: '', clientAddr: '' }, HUB))).code).to.equal('already_exists');
    for (const name of ['', ' alice', 'a\tb', 'n'.repeat(257)]) {
      expect((await rejection(h.client.call('createNamespace', { name, label: '', clientAddr: '' }, HUB))).code, JSON.stringify(name)).to.equal('invalid_argument');
    }
  });

  it('when carol is rotated, then the old token stops at once, her JWTs die, gateways hear it, dave is untouched', async () => {
    const carol = await h.client.call('createNamespace', { name: 'carol', label: '', clientAddr: '' }, HUB);
    const dave = await h.client.call('createNamespace', { name: 'dave', label: '', clientAddr: '' }, HUB);
    const carolJwt = await login(carol.token);
    const daveJwt = await login(dave.token);
    const rotated = await h.client.call('rotateNamespace', { name: 'carol', clientAddr: '10.5.0.9' }, HUB);
    expect(rotated.token).not.to.equal(carol.token);
    expect(rotated.namespace?.rotatedAt).to.be.a('number');
    expect((await rejection(resolve(carol.token))).message).to.equal('Invalid token');
    expect((await resolve(rotated.token)).namespace).to.equal('carol');
    const ev = await waitFor(() => h.events.find((e) => e.namespace === 'carol' && e.credentialsChanged), { what: 'rotation event' });
    const v = await h.client.call('getJwtVerifier', {}, HUB);
    expect(v.revokedBefore.carol).to.equal(ev.revokedBefore);
    expect(v.revokedBefore.dave).to.equal(undefined);
    const rev = { isRevoked: () => false, revokedBefore: (ns: string) => v.revokedBefore[ns] };
    expect((await rejection(verifyWebJwt(carolJwt.token, new Uint8Array(v.jwtSecret), rev))).message).to.equal('Invalid token');
    expect((await verifyWebJwt(daveJwt.token, new Uint8Array(v.jwtSecret), rev)).ns).to.equal('dave');
  });

  it('when erin is revoked, then her token is refused and listed as revoked; unknown names are NOT_FOUND', async () => {
    const erin = await h.client.call('createNamespace', { name: 'erin', label: '', clientAddr: '' }, HUB);
    const res = await h.client.call('revokeNamespace', { name: 'erin', clientAddr: '' }, HUB);
    expect(res.namespace?.revoked).to.equal(true);
    expect((await rejection(resolve(erin.token))).message).to.equal('Invalid token');
    await waitFor(() => h.events.find((e) => e.namespace === 'erin' && e.credentialsChanged), { what: 'revoke event' });
    const list = await h.client.call('listNamespaces', {}, HUB);
    expect(list.namespaces.find((n) => n.name === 'erin')?.revoked).to.equal(true);
    expect(list.namespaces.map((n) => n.name)).to.include.members(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect((await rejection(h.client.call('revokeNamespace', { name: 'zed', clientAddr: '' }, HUB))).code).to.equal('not_found');
    expect((await rejection(h.client.call('rotateNamespace', { name: 'zed', clientAddr: '' }, HUB))).code).to.equal('not_found');
  });

  it('when a namespace token is used, then its last-used time is recorded', async () => {
    const frank = await h.client.call('createNamespace', { name: 'frank', label: '', clientAddr: '' }, HUB);
    await resolve(frank.token);
    await waitFor(async () => (await h.client.call('listNamespaces', {}, HUB)).namespaces.find((n) => n.name === 'frank')?.lastUsedAt, { what: 'lastUsedAt' });
  });

  it('when admin actions happen, then each is audited with its namespace', async () => {
    const all = await h.client.call('listAudit', { limit: 500 }, HUB);
    const actions = all.entries.map((e) => `${e.action}:${e.namespace ?? ''}:${e.outcome}`);
    expect(actions).to.include.members(['namespace_create:alice:ok', 'namespace_create:alice:denied', 'token_rotated:carol:ok', 'token_revoked:erin:ok']);
    const carolView = await h.client.call('listAudit', { limit: 500 }, { namespace: 'carol' as never });
    expect(carolView.entries.every((e) => e.namespace === 'carol')).to.equal(true);
  });

  it('when hub info is asked, then registered mode', async () => {
    expect((await h.client.call('getHubInfo', {}, HUB)).namespaceMode).to.equal('registered');
  });
});
