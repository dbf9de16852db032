import type { Socket } from 'socket.io-client';
import type { HandledEventSpec } from '../surface/hapi-socket-events.js';
import { BAD_FIELD_VALUES, nestedJson } from './bad-values.js';
import type { Expectation } from './http-cases.js';
import { RawJson } from './raw-socket.js';
import { keysOf, sampleOf, type Hints } from './zod-sample.js';

export interface SocketEventCase {
  event: string;
  what: string;
  /** The argument as JSON text; undefined sends the event with no argument. */
  payload: string | undefined;
  /** The event takes a callback (HAPI acks it): the ack must come. */
  ack: boolean;
  /** Which of the CLI's sockets sends it: the session's or the machine's (the runner's). */
  scope: 'session' | 'machine';
  expect: Expectation;
}

/** What the socket cases need to know about the fixtures. */
export interface SocketFixtures {
  own: Hints;
  /** Another namespace's ids, by key (sid, sessionId, machineId). */
  foreign: Record<string, string>;
}

const MACHINE_KEYS = new Set(['machineId']);

/** The error codes a refusal may carry on the socket `error` event. */
export const KNOWN_ERROR_CODES = new Set(['access-denied', 'not-found', 'namespace-missing', 'invalid']);

/** Every bad-input case for one socket event, generated from HAPI's payload schema for it. */
export function socketEventCases(spec: HandledEventSpec, fx: SocketFixtures): SocketEventCase[] {
  const keys = keysOf(spec.payload);
  const scope = keys.some((k) => MACHINE_KEYS.has(k)) ? 'machine' : 'session';
  const valid = sampleOf(spec.payload, fx.own);
  const out: SocketEventCase[] = [];
  const add = (what: string, payload: string | undefined, expect: Expectation = 'handled') => out.push({ event: spec.event, what, payload, ack: spec.ack !== undefined, scope, expect });
  add('a valid payload', JSON.stringify(valid ?? {}));
  add('no argument', undefined);
  for (const [name, json] of [['null', 'null'], ['a string', '"text"'], ['a number', '42'], ['an array', '[1,2]']]) add(`a payload that is ${name}`, json);
  add('a payload nested 100,000 deep', nestedJson(100_000), 'refused');
  if (typeof valid === 'object' && valid !== null && !Array.isArray(valid)) {
    const obj = valid as Record<string, unknown>;
    for (const key of keys) {
      const { [key]: _dropped, ...rest } = obj;
      add(`${key} missing`, JSON.stringify(rest));
      const template = JSON.stringify({ ...rest, [key]: '__badinput_placeholder__' });
      for (const bad of BAD_FIELD_VALUES) add(`${key} = ${bad.name}`, template.replace('"__badinput_placeholder__"', bad.json), bad.alwaysRefused ? 'refused' : 'handled');
      if (fx.foreign[key]) add(`${key} of another namespace`, JSON.stringify({ ...obj, [key]: fx.foreign[key] }));
    }
    const inner = JSON.stringify(obj).slice(1, -1);
    add('an extra __proto__ key', `{${inner}${inner ? ',' : ''}"__proto__":{"isAdmin":true}}`);
    add('an extra $where key', `{${inner}${inner ? ',' : ''}"$where":"1"}`);
  }
  return out;
}

export interface SocketOutcome {
  ack?: unknown;
  /** `error` events the socket got while the case ran. */
  errors: Array<Record<string, unknown>>;
  connected: boolean;
}

/**
 * Sends one case on `socket` and waits for its answer: the ack (when the event takes one), else
 * a `ping` fence (the socket handles events in order, so its ack means the case was handled).
 * Rejects when nothing comes within `timeoutMs`.
 */
export async function sendSocketCase(socket: Socket, c: SocketEventCase, timeoutMs = 5000): Promise<SocketOutcome> {
  const errors: Array<Record<string, unknown>> = [];
  const onError = (e: Record<string, unknown>) => errors.push(e);
  socket.on('error', onError);
  try {
    const args: unknown[] = c.payload === undefined ? [] : [new RawJson(c.payload)];
    let ack: unknown;
    if (c.ack) {
      ack = await socket.timeout(timeoutMs).emitWithAck(c.event, ...args).catch((err: Error) => Promise.reject(new Error(`no ack for ${c.event} within ${timeoutMs} ms (${err.message})`)));
    } else {
      socket.emit(c.event, ...args);
    }
    await socket.timeout(timeoutMs).emitWithAck('ping').catch(() => Promise.reject(new Error(`the ping after ${c.event} got no ack within ${timeoutMs} ms`)));
    return { ack, errors, connected: socket.connected };
  } finally {
    socket.off('error', onError);
  }
}

/** A handshake's `auth` object, as JSON text or a value, and what it must get. */
export interface HandshakeCase {
  what: string;
  auth: unknown;
  /** `refused`: connect_error with exactly this message. `connects`: it connects (bad ids are refused per event). */
  expect: { refused: string } | 'connects';
}

/** The bytes of the websocket frame a client sends to join `/cli` with this `auth` (Engine.IO message, Socket.IO CONNECT). */
export function handshakeFrameBytes(auth: unknown): number {
  const json = auth instanceof RawJson ? auth.text : (JSON.stringify(auth) ?? '');
  return Buffer.byteLength(`40/cli,${json}`);
}

/** The gateway's refusal of a handshake frame over its pre-authentication limit. */
export function tooLargeHandshake(preAuthFrameBytes: number): { refused: string } {
  return { refused: `Handshake too large (at most ${preAuthFrameBytes} bytes before authentication)` };
}

/**
 * Handshake cases: the token and the ids of the `auth` object, malformed in every way the
 * vocabulary has. A handshake whose frame is over the gateway's pre-authentication limit
 * (`preAuthFrameBytes`) is refused as too large whatever it holds; ones just under it are read.
 */
export function handshakeCases(token: string, fx: SocketFixtures, preAuthFrameBytes: number): HandshakeCase[] {
  const out: HandshakeCase[] = [];
  const invalid = { refused: 'Invalid token' };
  out.push({ what: 'no auth object', auth: undefined, expect: invalid });
  out.push({ what: 'an empty auth object', auth: {}, expect: invalid });
  for (const bad of BAD_FIELD_VALUES) {
    if (bad.alwaysRefused) continue;
    out.push({ what: `token = ${bad.name}`, auth: { token: JSON.parse(bad.json) as unknown, clientType: 'session-scoped' }, expect: invalid });
  }
  out.push({ what: 'token nested 100,000 deep', auth: new RawJson(`{"token":${nestedJson(100_000)}}`), expect: invalid });
  out.push({ what: 'an auth object nested 100,000 deep', auth: new RawJson(nestedJson(100_000)), expect: invalid });
  // Under the frame limit, so the handshake reads them: deep JSON and a long token are refused as tokens.
  out.push({ what: 'token nested 10,000 deep', auth: new RawJson(`{"token":${nestedJson(10_000)}}`), expect: invalid });
  out.push({ what: 'an auth object nested 10,000 deep', auth: new RawJson(nestedJson(10_000)), expect: invalid });
  const fitting = preAuthFrameBytes - handshakeFrameBytes({ token: '', clientType: 'session-scoped' });
  out.push({ what: 'token that just fits the pre-authentication frame limit', auth: { token: 'x'.repeat(fitting), clientType: 'session-scoped' }, expect: invalid });
  out.push({ what: 'token one byte over the pre-authentication frame limit', auth: { token: 'x'.repeat(fitting + 1), clientType: 'session-scoped' }, expect: tooLargeHandshake(preAuthFrameBytes) });
  out.push({ what: 'token of a wrong base', auth: { token: 'wrong-base:alice' }, expect: invalid });
  out.push({ what: 'token "base:" (no name)', auth: { token: `${token.split(':')[0]}:` }, expect: invalid });
  out.push({ what: 'token with a name of control characters', auth: { token: `${token.split(':')[0]}:a\u0001b` }, expect: invalid });
  out.push({ what: 'token with a lone surrogate in the name', auth: { token: `${token.split(':')[0]}:a\ud800` }, expect: invalid });
  for (const key of ['sessionId', 'machineId']) {
    const clientType = key === 'sessionId' ? 'session-scoped' : 'machine-scoped';
    for (const bad of BAD_FIELD_VALUES) {
      if (bad.alwaysRefused) continue;
      out.push({ what: `${key} = ${bad.name}`, auth: { token, clientType, [key]: JSON.parse(bad.json) as unknown }, expect: 'connects' });
    }
    const foreign = fx.foreign[key];
    if (foreign) out.push({ what: `${key} of another namespace`, auth: { token, clientType, [key]: foreign }, expect: 'connects' });
  }
  out.push({ what: 'clientType = an object', auth: { token, clientType: { $ne: null } }, expect: 'connects' });
  out.push({ what: 'an extra __proto__ key', auth: JSON.parse(`{"token":${JSON.stringify(token)},"__proto__":{"isAdmin":true}}`) as unknown, expect: 'connects' });
  return out.map((c) => (handshakeFrameBytes(c.auth) > preAuthFrameBytes ? { ...c, expect: tooLargeHandshake(preAuthFrameBytes) } : c));
}
