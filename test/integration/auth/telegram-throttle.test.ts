import { expect } from 'chai';
import { signInitData } from '../../../lib/auth/telegram-init-data.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { BASE, BOT, rejection, startAuth, type AuthHarness } from './harness.js';

const HUB = { hub: true } as const;
const DISABLED = 'Telegram authentication is disabled. Configure TELEGRAM_BOT_TOKEN.';

function initData(userId: number, bot = BOT): string {
  return signInitData(bot, { auth_date: String(Math.floor(Date.now() / 1000)), user: JSON.stringify({ id: userId, first_name: 'T' }) });
}

describe('auth service: Telegram and throttling (real gRPC + Mongo + NATS)', () => {
  let nats: NatsServer;
  let mongo: MongoServer;
  let tg: AuthHarness;
  let noTg: AuthHarness;
  let strict: AuthHarness;

  before(async () => {
    [nats, mongo] = await Promise.all([startNats(), startMongo()]);
    [tg, noTg, strict] = await Promise.all([
      startAuth({ mongoUrl: mongo.url, dbName: mongo.freshDbName(), natsUrl: nats.url, bot: BOT }),
      startAuth({ mongoUrl: mongo.url, dbName: mongo.freshDbName(), natsUrl: nats.url }),
      startAuth({ mongoUrl: mongo.url, dbName: mongo.freshDbName(), natsUrl: nats.url, failLimit: 10 }),
    ]);
  });
  after(async () => {
    await Promise.all([tg?.stop(), noTg?.stop(), strict?.stop()]);
    await Promise.all([nats?.stop(), mongo?.stop()]);
  });

  const bind = (h: AuthHarness, data: string, token: string) => h.client.call('bindTelegram', { initData: data, accessToken: token, clientAddr: '10.7.0.1' }, HUB);
  const tgLogin = (h: AuthHarness, data: string) => h.client.call('issueWebToken', { credential: { $case: 'initData', initData: data }, clientAddr: '10.7.0.1' }, HUB);

  it('when an unbound Telegram user logs in, then UNAUTHENTICATED not_bound', async () => {
    const err = await rejection(tgLogin(tg, initData(100)));
    expect([err.code, err.message]).to.deep.equal(['unauthenticated', 'not_bound']);
  });

  it('when a user binds to alice, then a JWT for alice; binding again to alice is ok; to bob is already_bound', async () => {
    const res = await bind(tg, initData(101), `${BASE}:alice`);
    expect(res.namespace).to.equal('alice');
    expect(res.user?.id).to.equal(101);
    expect((await bind(tg, initData(101), `${BASE}:alice`)).namespace).to.equal('alice');
    const err = await rejection(bind(tg, initData(101), `${BASE}:bob`));
    expect([err.code, err.message]).to.deep.equal(['conflict', 'already_bound']);
    expect((await tgLogin(tg, initData(101))).namespace).to.equal('alice');
  });

  it('when recipients are listed, then only the namespace\'s own bound users come back', async () => {
    await bind(tg, initData(201), `${BASE}:carol`);
    await bind(tg, initData(202), `${BASE}:dave`);
    expect((await tg.client.call('listTelegramRecipients', { namespace: '' }, { namespace: 'carol' as never })).telegramUserIds).to.deep.equal([201]);
    expect((await tg.client.call('listTelegramRecipients', { namespace: '' }, { namespace: 'dave' as never })).telegramUserIds).to.deep.equal([202]);
    expect((await tg.client.call('listTelegramRecipients', { namespace: '' }, { namespace: 'nobody' as never })).telegramUserIds).to.deep.equal([]);
  });

  it('when the bot asks which namespace an account is bound to, then it gets that namespace alone, only as a hub-wide call', async () => {
    await bind(tg, initData(301), `${BASE}:erin`);
    expect(await tg.client.call('getTelegramBinding', { telegramUserId: 301 }, HUB)).to.deep.equal({ namespace: 'erin' });
    expect(await tg.client.call('getTelegramBinding', { telegramUserId: 399 }, HUB)).to.deep.equal({ namespace: undefined });
    // A namespaced caller (any namespace, the bound one included) cannot ask: it is the bot's hub-wide lookup.
    for (const ns of ['erin', 'frank']) {
      expect((await rejection(tg.client.call('getTelegramBinding', { telegramUserId: 301 }, { namespace: ns as never }))).code).to.equal('unauthenticated');
    }
    for (const bad of [0, -5]) expect((await rejection(tg.client.call('getTelegramBinding', { telegramUserId: bad }, HUB))).code).to.equal('invalid_argument');
  });

  it('when dave tries to unbind carol\'s user, then nothing changes; carol can unbind', async () => {
    const unbind = (ns: string) => tg.client.call('unbindTelegram', { namespace: ns, initData: initData(201), clientAddr: '' }, { namespace: ns as never });
    expect((await unbind('dave')).unbound).to.equal(false);
    expect((await unbind('carol')).unbound).to.equal(true);
    expect((await tg.client.call('listTelegramRecipients', { namespace: 'carol' }, { namespace: 'carol' as never })).telegramUserIds).to.deep.equal([]);
  });

  it('when binding with a bad access token or bad initData, then "Invalid access token" / initData errors', async () => {
    expect((await rejection(bind(tg, initData(300), 'wrong:alice'))).message).to.equal('Invalid access token');
    expect((await rejection(bind(tg, initData(300, '9:other'), `${BASE}:alice`))).message).to.equal('Invalid initData signature');
    expect((await rejection(bind(tg, 'auth_date=1', `${BASE}:alice`))).message).to.equal('Missing hash');
  });

  it('when Telegram is not configured, then 503 text; a bad access token is still checked first', async () => {
    const login = await rejection(tgLogin(noTg, initData(400)));
    expect([login.code, login.message]).to.deep.equal(['unavailable', DISABLED]);
    const b = await rejection(bind(noTg, initData(400), `${BASE}:alice`));
    expect([b.code, b.message]).to.deep.equal(['unavailable', DISABLED]);
    expect((await rejection(bind(noTg, initData(400), 'wrong'))).message).to.equal('Invalid access token');
    expect(await noTg.client.call('getHubInfo', {}, HUB)).to.deep.equal({ namespaceMode: 'open', telegramEnabled: false });
    expect((await tg.client.call('getHubInfo', {}, HUB)).telegramEnabled).to.equal(true);
  });

  it('when an address fails 10 times, then the 11th attempt (even correct) is RESOURCE_EXHAUSTED with retryAfterMs; others are unaffected', async () => {
    const resolve = (token: string, addr: string) => strict.client.call('resolveAccessToken', { accessToken: token, clientAddr: addr, surface: 'cli' }, HUB);
    for (let i = 0; i < 10; i++) {
      expect((await rejection(resolve('wrong:alice', '10.9.9.9'))).message).to.equal('Invalid token');
    }
    const blocked = await rejection(resolve(`${BASE}:alice`, '10.9.9.9'));
    expect([blocked.code, blocked.message]).to.deep.equal(['resource_exhausted', 'Too many failed attempts']);
    const retry = Number(blocked.details.retryAfterMs);
    expect(retry).to.be.greaterThan(0).and.at.most(60_000);
    const web = await rejection(strict.client.call('issueWebToken', { credential: { $case: 'accessToken', accessToken: `${BASE}:alice` }, clientAddr: '10.9.9.9' }, HUB));
    expect(web.code).to.equal('resource_exhausted');
    const admin = await rejection(strict.client.call('checkAdminToken', { adminToken: 'x', clientAddr: '10.9.9.9', action: 'a' }, HUB));
    expect(admin.code).to.equal('resource_exhausted');
    // Keyed by address only: alice's namespace is not locked for anyone else.
    expect((await resolve(`${BASE}:alice`, '10.9.9.10')).namespace).to.equal('alice');
    const audit = await strict.client.call('listAudit', { limit: 500 }, HUB);
    // Every attempt is in the audit log: 10 denied, then the 3 refused while throttled.
    const mine = audit.entries.filter((e) => e.clientAddr === '10.9.9.9');
    expect(mine.filter((e) => e.outcome === 'denied')).to.have.length(10);
    expect(mine.filter((e) => e.outcome === 'throttled')).to.have.length(3);
  });

  it('when failures are spread over addresses below the limit, then nobody is throttled', async () => {
    for (let i = 0; i < 9; i++) await rejection(strict.client.call('checkAdminToken', { adminToken: 'x', clientAddr: '10.8.0.1', action: 'a' }, HUB));
    await strict.client.call('checkAdminToken', { adminToken: 'admin-token-for-tests-0123456789', clientAddr: '10.8.0.1', action: 'a' }, HUB);
  });
});
