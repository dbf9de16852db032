import { expect } from 'chai';
import { base64UrlToBytes, disablePush, enablePush, pushStatus, type PushApi, type PushEnv, type PushSubscriptionLike } from '../../../web/src/lib/push.js';
import { notificationFromPush, readPushData, targetPath } from '../../../web/src/sw/notification.js';

const KEY = 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U';

/** A browser whose permission and push service behave as a test says. */
function fakeBrowser(opts: { supported?: boolean; permission?: 'default' | 'granted' | 'denied'; answer?: 'granted' | 'denied' | 'default'; existing?: boolean } = {}) {
  let permission = opts.permission ?? 'default';
  let sub: PushSubscriptionLike | null = null;
  const calls: string[] = [];
  const makeSub = (): PushSubscriptionLike => ({
    endpoint: 'https://push.example/abc',
    toJSON: () => ({ endpoint: 'https://push.example/abc', keys: { p256dh: 'P256', auth: 'AUTH' } }),
    unsubscribe: async () => {
      calls.push('browser-unsubscribe');
      sub = null;
      return true;
    },
  });
  if (opts.existing) sub = makeSub();
  const env: PushEnv = {
    supported: opts.supported ?? true,
    permission: () => permission,
    requestPermission: async () => {
      calls.push('ask');
      permission = opts.answer ?? 'granted';
      return permission;
    },
    pushManager: async () => ({
      getSubscription: async () => sub,
      subscribe: async (o) => {
        calls.push(`subscribe:${o.userVisibleOnly}:${o.applicationServerKey.length}`);
        sub = makeSub();
        return sub;
      },
    }),
  };
  return { env, calls };
}

function fakeHub() {
  const calls: Array<[string, unknown]> = [];
  const api: PushApi = {
    vapidPublicKey: async () => ({ publicKey: KEY }),
    subscribePush: async (b) => void calls.push(['subscribe', b]),
    unsubscribePush: async (b) => void calls.push(['unsubscribe', b]),
  };
  return { api, calls };
}

describe('web push opt-in (per device)', () => {
  it('when a person turns notifications on, then the browser asks once, subscribes with the hub key and the hub gets endpoint and keys', async () => {
    const b = fakeBrowser();
    const hub = fakeHub();
    expect(await pushStatus(b.env)).to.equal('off');
    expect(await enablePush(b.env, hub.api)).to.equal('on');
    expect(b.calls).to.deep.equal(['ask', 'subscribe:true:65']);
    expect(hub.calls).to.deep.equal([['subscribe', { endpoint: 'https://push.example/abc', keys: { p256dh: 'P256', auth: 'AUTH' } }]]);
    expect(await pushStatus(b.env)).to.equal('on');
  });

  it('when the person refuses or the browser has no push, then nothing is sent to the hub and the status says why', async () => {
    const hub = fakeHub();
    expect(await enablePush(fakeBrowser({ answer: 'denied' }).env, hub.api)).to.equal('blocked');
    expect(await enablePush(fakeBrowser({ answer: 'default' }).env, hub.api)).to.equal('off');
    expect(await enablePush(fakeBrowser({ supported: false }).env, hub.api)).to.equal('unsupported');
    expect(await pushStatus(fakeBrowser({ permission: 'denied' }).env)).to.equal('blocked');
    expect(hub.calls).to.deep.equal([]);
  });

  it('when this device already has a subscription, then turning on reuses it, and turning off tells the hub before the browser forgets it', async () => {
    const b = fakeBrowser({ permission: 'granted', existing: true });
    const hub = fakeHub();
    expect(await enablePush(b.env, hub.api)).to.equal('on');
    expect(b.calls).to.deep.equal([]);
    expect(await disablePush(b.env, hub.api)).to.equal('off');
    expect(hub.calls.map((c) => c[0])).to.deep.equal(['subscribe', 'unsubscribe']);
    expect(b.calls).to.deep.equal(['browser-unsubscribe']);
    expect(await pushStatus(b.env)).to.equal('off');
  });

  it('when the VAPID key is base64url, then it decodes to the 65-byte P-256 point the push service expects', () => {
    const bytes = base64UrlToBytes(KEY);
    expect(bytes.length).to.equal(65);
    expect(bytes[0]).to.equal(4);
  });
});

describe('web service worker notifications', () => {
  it("when HAPI's permission push arrives, then the notification shows its title and body and a tap opens that session", () => {
    const n = notificationFromPush({ title: 'Permission Request', body: 'app (Bash)', tag: 'permission-s1', data: { type: 'permission-request', sessionId: 's1', url: '/sessions/s1' } });
    expect(n.title).to.equal('Permission Request');
    expect(n.options).to.deep.include({ body: 'app (Bash)', tag: 'permission-s1', data: { url: '/sessions/s1' } });
  });

  it('when the payload url points elsewhere, then the tap stays on this hub (the session, else the list)', () => {
    expect(targetPath({ url: 'https://evil.example/x', sessionId: 's 2' })).to.equal('/sessions/s%202');
    expect(targetPath({ url: '//evil.example/x' })).to.equal('/');
    expect(targetPath({ url: '/\\evil.example' })).to.equal('/');
    expect(targetPath(null)).to.equal('/');
    expect(notificationFromPush('garbage').title).to.equal('teamhub');
  });

  it('when the push data is not JSON, then its text becomes the body', () => {
    expect(readPushData({ json: () => JSON.parse('nope'), text: () => 'nope' })).to.deep.equal({ body: 'nope' });
    expect(readPushData(null)).to.deep.equal({});
  });
});
