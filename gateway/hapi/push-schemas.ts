/**
 * HAPI's request bodies for Web Push subscriptions and native device registrations, with upper
 * bounds HAPI lacks (a push endpoint is a URL of a few hundred bytes; the
 * keys are base64 of 65 and 16 bytes): anything over them is the same 400 `Invalid body`.
 */
import { z } from 'zod';

const ENDPOINT_MAX = 4096;
const KEY_MAX = 512;

export const PushSubscribeBody = z.object({
  endpoint: z.string().min(1).max(ENDPOINT_MAX),
  keys: z.object({ p256dh: z.string().min(1).max(KEY_MAX), auth: z.string().min(1).max(KEY_MAX) }),
});

export const PushUnsubscribeBody = z.object({ endpoint: z.string().min(1).max(ENDPOINT_MAX) });

const PUSH_KEY_BYTES = 32;

/** A native app's push key: standard base64 of exactly 32 bytes, or null. */
export function decodePushKey(pushKey: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(pushKey)) return null;
  const decoded = Buffer.from(pushKey, 'base64');
  return decoded.length === PUSH_KEY_BYTES ? decoded : null;
}

/** ios needs a push key; phone may send one; wear never uses one. */
export const DeviceRegisterBody = z
  .object({
    token: z.string().min(1).max(ENDPOINT_MAX),
    platform: z.enum(['phone', 'wear', 'ios']),
    deviceId: z.string().min(1).max(128),
    pushKey: z.string().max(KEY_MAX).optional(),
  })
  .superRefine((data, ctx) => {
    if (data.platform === 'wear' || (data.platform === 'phone' && data.pushKey === undefined)) return;
    if (!data.pushKey || decodePushKey(data.pushKey) === null) {
      ctx.addIssue({ code: 'custom', path: ['pushKey'], message: 'pushKey must be base64 of exactly 32 bytes (required for ios)' });
    }
  });

export const DeviceUnregisterBody = z.object({ token: z.string().min(1).max(ENDPOINT_MAX) });

/** HAPI's 400 for a device body: `{error:'Invalid body', issues: <zod's flattened error>}`. */
export function invalidDeviceBody(error: z.ZodError): { error: string; issues: unknown } {
  return { error: 'Invalid body', issues: z.flattenError(error) };
}
