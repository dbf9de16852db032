import { createECDH, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RouteSpec } from './types.js';

/*
 * Web Push and native devices (hub/src/web/routes/push.ts, devices.ts). The VAPID key pair is made
 * on first start and kept in settings.json, so push always works in HAPI (no configuration).
 * Subscriptions and devices are stored per namespace; a notification for a session goes to its
 * namespace's subscriptions only, and as an SSE toast instead when a page of the namespace is
 * visible. Native pushes (FCM, APNs) go through HAPI's relay unless HAPI_ANDROID_PUSH /
 * HAPI_IOS_PUSH say otherwise (the test hub has both off).
 */

/** A subscription with a real P-256 key, to a loopback endpoint nothing listens on. */
function subscription(tag: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: `http://127.0.0.1:9/push/${tag}`, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: randomBytes(16).toString('base64url') } };
}
const flattened = z.object({ formErrors: z.array(z.string()), fieldErrors: z.record(z.string(), z.array(z.string())) });

export const PUSH_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/push/vapid-public-key',
    module: 'push',
    plane: 'web',
    summary: 'The hub\'s VAPID public key for PushManager.subscribe',
    call: async () => ({}),
    ok: { status: 200, schema: z.object({ publicKey: z.string().regex(/^[A-Za-z0-9_-]{87}$/) }) },
    errors: [],
    foreign: { kind: 'none', why: 'one key pair per hub' },
  },
  {
    method: 'POST',
    path: '/api/push/subscribe',
    module: 'push',
    plane: 'web',
    summary: 'Store the browser\'s push subscription in the caller\'s namespace (same endpoint again replaces it)',
    call: async (w) => ({ body: await w.once('push-subscription', async () => subscription('alice')) }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [{ status: 400, body: { error: 'Invalid body' }, when: 'endpoint or keys missing', call: async () => ({ body: { endpoint: 'http://127.0.0.1:9/x' } }) }],
    foreign: { kind: 'none', why: 'writes only the caller\'s namespace; hapi-push.test.ts checks that a push goes to the session\'s namespace only' },
  },
  {
    method: 'DELETE',
    path: '/api/push/subscribe',
    module: 'push',
    plane: 'web',
    summary: 'Remove a push subscription of the caller\'s namespace by endpoint',
    call: async (w) => ({ body: { endpoint: (await w.once('push-subscription', async () => subscription('alice'))).endpoint } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [{ status: 400, body: { error: 'Invalid body' }, when: 'endpoint missing', call: async () => ({ body: {} }) }],
    foreign: { kind: 'none', why: 'removes only within the caller\'s namespace (bob naming alice\'s endpoint removes nothing of hers; always `{ok:true}`)' },
  },
  {
    method: 'POST',
    path: '/api/devices/register',
    module: 'devices',
    plane: 'web',
    summary: 'Register a native app device token (phone, wear, ios) for native pushes; ios needs a 32-byte base64 pushKey',
    call: async () => ({ body: { token: 'fcm-token-surface', platform: 'phone', deviceId: 'pixel-surface', pushKey: randomBytes(32).toString('base64') } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [
      { status: 400, body: z.object({ error: z.literal('Invalid body'), issues: flattened }), when: 'ios without a valid pushKey, an unknown platform, deviceId over 128', call: async () => ({ body: { token: 't', platform: 'ios', deviceId: 'd' } }) },
    ],
    foreign: { kind: 'none', why: 'stored per namespace; native pushes for a session go to its namespace\'s devices' },
  },
  {
    method: 'DELETE',
    path: '/api/devices/register',
    module: 'devices',
    plane: 'web',
    summary: 'Forget a device token in the caller\'s namespace',
    call: async () => ({ body: { token: 'fcm-token-surface' } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [{ status: 400, body: z.object({ error: z.literal('Invalid body'), issues: flattened }), when: 'token missing', call: async () => ({ body: {} }) }],
    foreign: { kind: 'none', why: 'removes only within the caller\'s namespace' },
  },
];
