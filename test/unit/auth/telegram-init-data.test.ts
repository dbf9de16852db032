import { expect } from 'chai';
import { createHash, createHmac } from 'node:crypto';
import { signInitData, validateInitData } from '../../../lib/auth/telegram-init-data.js';
import { AppError } from '../../../lib/errors.js';

const BOT = '123456:ABC-bot-token';
const now = 1_795_618_455_000;
const authDate = String(Math.floor(now / 1000) - 60);
const user = JSON.stringify({ id: 42, first_name: 'Alice', username: 'alice_tg' });

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('unauthenticated');
    return err as AppError;
  }
  throw new Error('expected a failure');
}

/** Signs like HAPI's alternative schemes, to show we refuse them. */
function signWithSecret(secret: Buffer, fields: Record<string, string>): string {
  const dcs = Object.keys(fields).sort().map((k) => `${k}=${fields[k]}`).join('\n');
  const p = new URLSearchParams(fields);
  p.set('hash', createHmac('sha256', secret).update(dcs).digest('hex'));
  return p.toString();
}

describe('Telegram initData (official Mini App scheme)', () => {
  it('when validly signed, then the user and auth_date come back', () => {
    const data = signInitData(BOT, { auth_date: authDate, query_id: 'q1', user });
    const res = validateInitData(data, BOT, now);
    expect(res.user).to.deep.equal({ id: 42, firstName: 'Alice', username: 'alice_tg' });
    expect(res.authDate).to.equal(Number(authDate));
  });

  it('when a field is tampered with, then Invalid initData signature', () => {
    const data = signInitData(BOT, { auth_date: authDate, user });
    const tampered = data.replace('Alice', 'Mallory');
    expect(failure(() => validateInitData(tampered, BOT, now)).message).to.equal('Invalid initData signature');
  });

  it('when signed with another bot token, then Invalid initData signature', () => {
    const data = signInitData('999:other', { auth_date: authDate, user });
    expect(failure(() => validateInitData(data, BOT, now)).message).to.equal('Invalid initData signature');
  });

  it('when older than 24 h, then initData is too old', () => {
    const old = String(Math.floor(now / 1000) - 24 * 3600 - 5);
    const data = signInitData(BOT, { auth_date: old, user });
    expect(failure(() => validateInitData(data, BOT, now)).message).to.equal('initData is too old');
  });

  it('when hash is missing, then Missing hash', () => {
    expect(failure(() => validateInitData(`auth_date=${authDate}&user=x`, BOT, now)).message).to.equal('Missing hash');
    expect(failure(() => validateInitData('', BOT, now)).message).to.equal('Missing hash');
  });

  it('when auth_date is missing or not a number, then Missing auth_date', () => {
    expect(failure(() => validateInitData(signInitData(BOT, { user }), BOT, now)).message).to.equal('Missing auth_date');
    expect(failure(() => validateInitData(signInitData(BOT, { auth_date: 'soon', user }), BOT, now)).message).to.equal('Missing auth_date');
  });

  it('when the user is missing or has no numeric id, then Invalid user', () => {
    for (const u of [undefined, 'not json', JSON.stringify({ id: '42' }), JSON.stringify([1])]) {
      const fields: Record<string, string> = { auth_date: authDate };
      if (u !== undefined) fields.user = u;
      expect(failure(() => validateInitData(signInitData(BOT, fields), BOT, now)).message).to.equal('Invalid user');
    }
  });

  it('when signed with the reversed HMAC or the Login-Widget scheme (accepted by HAPI), then refused', () => {
    const fields = { auth_date: authDate, user };
    const reversed = createHmac('sha256', BOT).update('WebAppData').digest();
    const widget = createHash('sha256').update(BOT).digest();
    for (const secret of [reversed, widget]) {
      expect(failure(() => validateInitData(signWithSecret(secret, fields), BOT, now)).message).to.equal('Invalid initData signature');
    }
  });

  it('when a key is duplicated, then Invalid initData signature', () => {
    const data = `${signInitData(BOT, { auth_date: authDate, user })}&auth_date=${authDate}`;
    expect(failure(() => validateInitData(data, BOT, now)).message).to.equal('Invalid initData signature');
  });
});
