import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { AuthResponse } from '../hapi-shapes.js';
import { sseEvent } from '../hapi-sse-events.js';
import type { RouteSpec } from './types.js';

/*
 * Health, web login and the event stream (hub/src/web/server.ts, routes/auth.ts, bind.ts,
 * events.ts). `/api/auth` and `/api/bind` are the only `/api` routes without a JWT. The JWT is
 * HS256 `{uid, ns}` for 4 h; uid is the hub owner's id for every namespace (HAPI has one user).
 */

const TELEGRAM_OFF = { error: 'Telegram authentication is disabled. Configure TELEGRAM_BOT_TOKEN.' };

export const WEB_AUTH_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    module: 'server',
    plane: 'none',
    summary: 'Liveness, protocol version and optional features (the CLI probes it before auto-starting a hub)',
    call: async () => ({}),
    ok: {
      status: 200,
      schema: z.object({ status: z.literal('ok'), protocolVersion: z.literal(1), capabilities: z.object({ workGraph: z.literal(true), titleSuggestion: z.boolean() }) }),
      check: (body) => expect(body.capabilities.titleSuggestion).to.equal(false),
    },
    errors: [],
    foreign: { kind: 'none', why: 'unauthenticated, says nothing about any namespace' },
  },
  {
    method: 'POST',
    path: '/api/auth',
    module: 'auth',
    plane: 'none',
    summary: 'Web login: an access token (`<base>[:namespace]`) or Telegram initData of a bound account → JWT',
    call: async (w) => ({ body: { accessToken: w.cliToken('alice') } }),
    ok: {
      status: 200,
      schema: AuthResponse,
      check: (body) => {
        expect(body.user.firstName).to.equal('Web User');
        const payload = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString('utf8'));
        expect(payload.ns).to.equal('alice');
        expect(payload.exp - payload.iat).to.equal(4 * 3600);
      },
    },
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'neither accessToken nor initData', call: async () => ({ body: { token: 'x' } }) },
      { status: 401, body: { error: 'Invalid access token' }, when: 'wrong base token', call: async () => ({ body: { accessToken: 'wrong:alice' } }) },
      { status: 503, body: TELEGRAM_OFF, when: 'initData while no Telegram bot is configured', call: async () => ({ body: { initData: 'query_id=1&hash=abc' } }) },
      { status: 401, body: { error: 'not_bound' }, when: 'valid initData of an account bound to no namespace' },
    ],
    foreign: { kind: 'none', why: 'the namespace comes from the token itself' },
    configuredOff: 'Telegram login without TELEGRAM_BOT_TOKEN: 503 Telegram authentication is disabled',
  },
  {
    method: 'POST',
    path: '/api/bind',
    module: 'bind',
    plane: 'none',
    summary: 'Bind a Telegram account to the namespace of an access token (Mini App first use) → JWT',
    call: async (w) => ({ body: { accessToken: w.cliToken('alice'), initData: 'query_id=1&hash=abc' } }),
    ok: { status: 503, schema: z.object({ error: z.literal(TELEGRAM_OFF.error) }) },
    untestedSuccess: { status: 200, schema: AuthResponse, why: 'needs a Telegram bot token on the hub and initData signed with it' },
    configuredOff: 'without TELEGRAM_BOT_TOKEN: 503 Telegram authentication is disabled (the access token is checked first)',
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'initData or accessToken missing', call: async (w) => ({ body: { accessToken: w.cliToken('alice') } }) },
      { status: 401, body: { error: 'Invalid access token' }, when: 'wrong base token', call: async () => ({ body: { accessToken: 'wrong:alice', initData: 'x' } }) },
      { status: 409, body: { error: 'already_bound' }, when: 'the account is bound to another namespace' },
    ],
    foreign: { kind: 'none', why: 'the namespace comes from the token; a second namespace for the same account is the 409 already_bound' },
  },
  {
    method: 'GET',
    path: '/api/events',
    module: 'events',
    plane: 'web',
    summary: 'The SSE stream (`all=true`, `sessionId=`, `machineId=`, `visibility=visible|hidden`, `Last-Event-ID` or `lastEventId=` to resume; JWT also as `?token=`)',
    call: async (w) => ({ query: { sessionId: (await w.session('claude')).id, visibility: 'hidden' } }),
    ok: { status: 200, stream: true, schema: sseEvent('connection-changed').schema, check: (body) => expect(body.data).to.include({ status: 'connected', resume: 'gap' }) },
    errors: [
      { status: 404, body: { error: 'Session not found' }, when: 'sessionId unknown', call: async () => ({ query: { sessionId: randomUUID() } }) },
      { status: 404, body: { error: 'Machine not found' }, when: 'machineId unknown', call: async () => ({ query: { machineId: randomUUID() } }) },
    ],
    foreign: { kind: 'denied', status: 403, body: { error: 'Session access denied' }, note: 'bob filtering on alice\'s session; alice\'s machine id gives 403 Machine access denied' },
    notes: ['Events never cross namespaces: each carries its namespace and the manager sends it only to that namespace\'s streams (see hapi-sse-events.ts).'],
  },
  {
    method: 'POST',
    path: '/api/visibility',
    module: 'events',
    plane: 'web',
    summary: 'Tell the hub whether the page of an SSE subscription is visible (visible pages get toasts instead of Web Push)',
    call: async (w) => ({ body: { subscriptionId: (await w.once('visibility-stream', () => w.stream('alice'))).subscriptionId, visibility: 'visible' } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'subscriptionId empty or visibility not visible/hidden', call: async () => ({ body: { subscriptionId: '', visibility: 'visible' } }) },
      { status: 404, body: { error: 'Subscription not found' }, when: 'no open stream has that id', call: async () => ({ body: { subscriptionId: randomUUID(), visibility: 'hidden' } }) },
    ],
    foreign: { kind: 'denied', status: 404, body: { error: 'Subscription not found' }, note: 'bob naming alice\'s subscription id' },
  },
];
