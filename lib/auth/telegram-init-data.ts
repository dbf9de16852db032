import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/** HAPI's limit: initData older than 24 h is refused. Future dates are accepted (as HAPI does). */
export const INIT_DATA_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The Telegram user an initData string vouches for. */
export interface TelegramUser {
  id: number;
  isBot?: boolean;
  username?: string;
  firstName?: string;
  lastName?: string;
  languageCode?: string;
}

export interface ValidatedInitData {
  user: TelegramUser;
  /** auth_date, in seconds. */
  authDate: number;
}

/*
 * Only the official Mini App scheme is accepted:
 *   secret = HMAC_SHA256(key = "WebAppData", msg = botToken)
 *   hash   = hex(HMAC_SHA256(key = secret, msg = data_check_string))
 * HAPI also accepts two more secrets. We do not:
 *  - HMAC_SHA256(key = botToken, msg = "WebAppData") (arguments reversed) is not documented by
 *    Telegram anywhere; accepting it only widens what a forger may try.
 *  - SHA256(botToken) is the Login Widget scheme. Its key is a plain hash of the bot token, with
 *    no domain separation from other uses of that hash, and widget data is a different payload
 *    (it is not Mini App initData), so a value signed for one purpose could pass for another.
 * HAPI also sorts keys with localeCompare; Telegram specifies plain byte order, which we use.
 */

function miniAppSecret(botToken: string): Buffer {
  return createHmac('sha256', 'WebAppData').update(botToken).digest();
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `k=v` lines of every field except `hash`, sorted by key in byte order, joined by `\n`. */
function dataCheckString(entries: [string, string][]): string {
  return entries
    .filter(([k]) => k !== 'hash')
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

function signature(botToken: string, entries: [string, string][]): string {
  return createHmac('sha256', miniAppSecret(botToken)).update(dataCheckString(entries)).digest('hex');
}

function fail(message: string): never {
  throw new AppError('unauthenticated', message);
}

function parseUser(raw: string | undefined): TelegramUser {
  if (raw === undefined) fail('Invalid user');
  let u: unknown;
  try {
    u = JSON.parse(raw);
  } catch {
    fail('Invalid user');
  }
  const o = u as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.id !== 'number' || !Number.isSafeInteger(o.id) || o.id <= 0) fail('Invalid user');
  const opt = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const user: TelegramUser = { id: o.id };
  if (typeof o.is_bot === 'boolean') user.isBot = o.is_bot;
  if (opt('username') !== undefined) user.username = opt('username');
  if (opt('first_name') !== undefined) user.firstName = opt('first_name');
  if (opt('last_name') !== undefined) user.lastName = opt('last_name');
  if (opt('language_code') !== undefined) user.languageCode = opt('language_code');
  return user;
}

/**
 * Validates Telegram Mini App initData (official scheme only). Every failure is
 * AppError('unauthenticated', …) with HAPI's texts: 'Missing hash', 'Missing auth_date',
 * 'initData is too old', 'Invalid initData signature', 'Invalid user'.
 */
export function validateInitData(initData: string, botToken: string, nowMs: number = Date.now()): ValidatedInitData {
  const entries = [...new URLSearchParams(initData).entries()];
  const keys = new Set(entries.map(([k]) => k));
  if (keys.size !== entries.length) fail('Invalid initData signature');
  const get = (k: string) => entries.find(([key]) => key === k)?.[1];
  const hash = get('hash');
  if (!hash) fail('Missing hash');
  const authDateRaw = get('auth_date');
  const authDate = Number(authDateRaw);
  if (!authDateRaw || !Number.isFinite(authDate)) fail('Missing auth_date');
  if (nowMs - authDate * 1000 > INIT_DATA_MAX_AGE_MS) fail('initData is too old');
  const expected = Buffer.from(signature(botToken, entries), 'hex');
  const given = /^[0-9a-fA-F]{64}$/.test(hash) ? Buffer.from(hash, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) fail('Invalid initData signature');
  return { user: parseUser(get('user')), authDate };
}

/** Test helper: builds initData for `fields` signed with the official scheme. */
export function signInitData(botToken: string, fields: Record<string, string>): string {
  const entries = Object.entries(fields);
  const params = new URLSearchParams(entries);
  params.set('hash', signature(botToken, entries));
  return params.toString();
}
