import type { FastifyInstance } from 'fastify';
import { decodePushKey, DeviceRegisterBody, DeviceUnregisterBody, invalidDeviceBody, PushSubscribeBody, PushUnsubscribeBody } from '../hapi/push-schemas.js';
import { requireWebCall } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';
import type { GatewayDeps } from '../deps.js';

/**
 * Web Push and native devices, as HAPI serves them: the hub's VAPID public key (one pair for the
 * hub, kept by the notify service), and the caller's own subscriptions and device tokens, stored
 * in the caller's namespace only. Removing names what to remove within that namespace, so another
 * namespace's endpoint or token removes nothing (and is answered `{ok:true}` as HAPI does).
 */
export function registerPushRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const notify = deps.clients.notify;

  app.get('/api/push/vapid-public-key', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    return { publicKey: (await notify.call('getVapidPublicKey', {}, ctx)).publicKey };
  });

  app.post('/api/push/subscribe', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = parseOr400(PushSubscribeBody, request.body);
    await notify.call('subscribePush', { endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth }, ctx);
    return { ok: true };
  });

  app.delete('/api/push/subscribe', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = parseOr400(PushUnsubscribeBody, request.body);
    await notify.call('unsubscribePush', { endpoint: body.endpoint }, ctx);
    return { ok: true };
  });

  app.post('/api/devices/register', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const parsed = DeviceRegisterBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidDeviceBody(parsed.error));
    const { token, platform, deviceId, pushKey } = parsed.data;
    // As HAPI: wear never keeps a key; phone keeps one when it sent one (normalised base64).
    const key = platform !== 'wear' && pushKey !== undefined ? decodePushKey(pushKey)!.toString('base64') : undefined;
    await notify.call('registerDevice', { token, platform, deviceId, pushKey: key }, ctx);
    return { ok: true };
  });

  app.delete('/api/devices/register', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const parsed = DeviceUnregisterBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidDeviceBody(parsed.error));
    await notify.call('unregisterDevice', { token: parsed.data.token }, ctx);
    return { ok: true };
  });
}
