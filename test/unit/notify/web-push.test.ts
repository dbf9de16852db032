import { expect } from 'chai';
import type { CallContext } from '../../../lib/context.js';
import { parseNamespace, type Namespace } from '../../../lib/namespace.js';
import { permissionPayload, readyPayload, taskPayload, truncate } from '../../../services/notify/push-payloads.js';
import { taskNotificationOf, type SessionView } from '../../../services/notify/session-view.js';
import type { PushSubscriptionRecord } from '../../../services/notify/store.js';
import type { Toast } from '../../../services/notify/visible-pages.js';
import { WebPushChannel, type SendNotification } from '../../../services/notify/web-push.js';
import { testContext } from '../call-context.js';

const view = (metadata: Record<string, unknown>, requests: Record<string, unknown> = {}): SessionView => ({ id: 'sess-0123456789', active: true, metadata, agentState: { requests } });

describe('notify: Web Push payloads (HAPI\'s texts)', () => {
  it('when a tool asks for permission, then the push is a Permission Request naming the session and tool, opening the session', () => {
    const p = permissionPayload(view({ name: 'fix-add', flavor: 'claude' }, { 'req-1': { tool: 'Bash', arguments: { command: 'ls' } } }));
    expect(p).to.deep.equal({
      title: 'Permission Request',
      body: 'fix-add (Bash)',
      tag: 'permission-sess-0123456789',
      data: { type: 'permission-request', sessionId: 'sess-0123456789', url: '/sessions/sess-0123456789', requestId: 'req-1' },
    });
  });

  it('when the agent asks a question, then the push says it needs input and previews the questions', () => {
    const questions = [{ question: 'Which   database?' }, { header: 'Port' }, { question: 'TLS?' }];
    const p = permissionPayload(view({ path: '/srv/app', flavor: 'codex' }, { q1: { tool: 'functions.AskUserQuestion', arguments: { questions } } }));
    expect(p.title).to.equal('Codex needs your input');
    expect(p.body).to.equal('Which database?\n+2 more questions\napp');
    expect(p.data).to.include({ type: 'input-request', requestId: 'q1' });
    expect(p.tag).to.equal('input-request-sess-0123456789');
  });

  it('when texts are long, then they are cut at a grapheme with an ellipsis', () => {
    expect(truncate('ab👩‍💻cd', 4)).to.equal('ab…');
    expect(truncate('short', 10)).to.equal('short');
  });

  it('when the agent is ready or a task ends, then the pushes name the agent and the session (failed tasks say so)', () => {
    const s = view({ summary: { text: 'Refactor auth' }, flavor: 'pi' });
    expect(readyPayload(s)).to.deep.include({ title: 'Ready for input', body: 'Pi is waiting in Refactor auth' });
    expect(taskPayload(s, { summary: 'done', status: 'completed' }).title).to.equal('Task completed');
    expect(taskPayload(view({ flavor: 'unknown-agent' }), { summary: 'x', status: 'Failed' })).to.deep.include({ title: 'Task failed', body: 'Agent · sess-012 · x' });
  });

  it('when a user message carries a <task-notification>, then its summary and status are read', () => {
    const content = { role: 'agent', content: { type: 'output', data: { type: 'user', message: { content: '<task-notification><summary>build ok</summary><status>done</status></task-notification>' } } } };
    expect(taskNotificationOf(content)).to.deep.equal({ summary: 'build ok', status: 'done' });
    expect(taskNotificationOf({ role: 'user', content: { type: 'text', text: 'hi' } })).to.equal(null);
  });
});

describe('notify: the Web Push channel', () => {
  const subs = new Map<Namespace, PushSubscriptionRecord[]>();
  const removed: Array<{ ns: string; endpoint: string }> = [];
  let sent: Array<{ endpoint: string; body: unknown; subject: string; publicKey: string }>;
  let toasts: Array<{ ns: string; toast: Toast }>;
  let shownOn: number;
  let failWith: Map<string, number>;

  const sub = (ns: string, endpoint: string): PushSubscriptionRecord => ({ namespace: parseNamespace(ns), endpoint, p256dh: 'key', auth: 'auth', createdAt: 1 });
  const send: SendNotification = async (s, payload, options) => {
    const status = failWith.get(s.endpoint);
    if (status) throw Object.assign(new Error(`push service answered ${status}`), { statusCode: status });
    sent.push({ endpoint: s.endpoint, body: JSON.parse(payload), subject: options.vapidDetails.subject, publicKey: options.vapidDetails.publicKey });
  };
  const channel = new WebPushChannel({
    store: {
      listPushSubscriptions: async (ns) => subs.get(ns) ?? [],
      removePushSubscription: async (ns, endpoint) => {
        removed.push({ ns, endpoint });
        return true;
      },
    },
    vapidKeys: async () => ({ publicKey: 'PUB', privateKey: 'PRIV' }),
    vapidSubject: 'mailto:hub@example.test',
    pages: {
      toast: async (ctx: CallContext, toast: Toast) => {
        toasts.push({ ns: ctx.namespace, toast });
        return shownOn;
      },
    },
    timeoutMs: 1000,
    send,
  });
  const s = view({ name: 'fix-add' }, { 'req-1': { tool: 'Bash' } });

  beforeEach(() => {
    subs.clear();
    subs.set(parseNamespace('alice'), [sub('alice', 'https://push.test/a1'), sub('alice', 'https://push.test/a2')]);
    subs.set(parseNamespace('bob'), [sub('bob', 'https://push.test/b1')]);
    removed.length = 0;
    sent = [];
    toasts = [];
    shownOn = 0;
    failWith = new Map();
  });

  it('when no page of the namespace shows the toast, then every subscription of that namespace, and only of it, gets the push, signed with the hub key', async () => {
    await channel.permissionRequested(testContext('alice'), s);
    expect(toasts).to.deep.equal([{ ns: 'alice', toast: { title: 'Permission Request', body: 'fix-add (Bash)', sessionId: s.id, url: `/sessions/${s.id}` } }]);
    expect(sent.map((p) => p.endpoint).sort()).to.deep.equal(['https://push.test/a1', 'https://push.test/a2']);
    expect(sent[0]).to.deep.include({ subject: 'mailto:hub@example.test', publicKey: 'PUB' });
    expect(sent[0]!.body).to.deep.include({ title: 'Permission Request' });
  });

  it('when a visible page showed the toast, then nothing is pushed', async () => {
    shownOn = 1;
    await channel.ready(testContext('alice'), s);
    expect(toasts).to.have.length(1);
    expect(sent).to.deep.equal([]);
  });

  it('when a push service answers 410 or 404, then that subscription is removed; another error keeps it', async () => {
    failWith.set('https://push.test/a1', 410);
    failWith.set('https://push.test/a2', 500);
    await channel.taskFinished(testContext('alice'), s, { summary: 'x' });
    expect(removed).to.deep.equal([{ ns: 'alice', endpoint: 'https://push.test/a1' }]);
    failWith.set('https://push.test/b1', 404);
    await channel.ready(testContext('bob'), s);
    expect(removed).to.deep.equal([{ ns: 'alice', endpoint: 'https://push.test/a1' }, { ns: 'bob', endpoint: 'https://push.test/b1' }]);
  });
});
