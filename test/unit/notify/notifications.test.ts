import { expect } from 'chai';
import type { CallContext } from '../../../lib/context.js';
import type { Message, Session } from '../../../lib/gen/teamhub/session/v1/session.js';
import { Notifier, type NotificationChannel } from '../../../services/notify/notifications.js';
import type { PendingRequest, SessionView, TaskNotification } from '../../../services/notify/session-view.js';
import { testContext } from '../call-context.js';

/** Marks and cool-downs as the NATS KV state keeps them, shared by every "replica" built on it. */
class FakeState {
  readonly marks = new Set<string>();
  readonly cooling = new Set<string>();
  async markOnce(kind: string, ns: string, ...ids: string[]): Promise<boolean> {
    const k = JSON.stringify([kind, ns, ...ids]);
    if (this.marks.has(k)) return false;
    this.marks.add(k);
    return true;
  }
  async passCooldown(kind: string, ns: string, ...ids: string[]): Promise<boolean> {
    const k = JSON.stringify([kind, ns, ...ids]);
    if (this.cooling.has(k)) return false;
    this.cooling.add(k);
    return true;
  }
  /** The cool-down lapsed (the bucket's TTL). */
  lapse(): void {
    this.cooling.clear();
  }
}

type Call = { what: string; ns: string; sessionId: string; detail?: unknown };

class RecordingChannel implements NotificationChannel {
  readonly calls: Call[] = [];
  constructor(readonly name: string, private readonly failing = false) {}
  private record(what: string, ctx: CallContext, s: SessionView, detail?: unknown): Promise<void> {
    this.calls.push({ what, ns: ctx.namespace, sessionId: s.id, detail });
    return this.failing ? Promise.reject(new Error('channel down')) : Promise.resolve();
  }
  permissionRequested(ctx: CallContext, s: SessionView, fresh: PendingRequest[]) {
    return this.record('permission', ctx, s, fresh.map((r) => r.id));
  }
  ready(ctx: CallContext, s: SessionView) {
    return this.record('ready', ctx, s);
  }
  taskFinished(ctx: CallContext, s: SessionView, task: TaskNotification) {
    return this.record('task', ctx, s, task);
  }
  sessionEnded(ctx: CallContext, s: SessionView, reason: string | undefined) {
    return this.record('ended', ctx, s, reason);
  }
}

const session = (id: string, active: boolean, requests: Record<string, unknown> = {}): Session =>
  ({ id, active, metadataJson: JSON.stringify({ path: `/srv/${id}`, flavor: 'claude' }), agentStateJson: JSON.stringify({ requests }) }) as Session;
const message = (sessionId: string, content: unknown): Message => ({ id: `m-${Math.random()}`, sessionId, seq: 1, createdAt: 1, contentJson: JSON.stringify(content) });
const READY = { role: 'agent', content: { type: 'event', data: { type: 'ready' } } };
const TASK = { role: 'agent', content: { type: 'output', data: { type: 'system', subtype: 'task_notification', summary: 'tests pass', status: 'completed' } } };

describe('notify: which session events notify whom', () => {
  let state: FakeState;
  let channel: RecordingChannel;
  let sessions: Map<string, SessionView>;
  let notifier: Notifier;
  const alice = testContext('alice');

  beforeEach(() => {
    state = new FakeState();
    channel = new RecordingChannel('recording');
    sessions = new Map();
    notifier = new Notifier({ channels: [channel], state, directory: { getSession: async (ctx, id) => (ctx.namespace === 'alice' ? (sessions.get(id) ?? null) : null) } });
  });

  it('when a pending request shows in several session events (to several replicas), then it is notified once, and a new one again', async () => {
    const other = new Notifier({ channels: [channel], state, directory: { getSession: async () => null } });
    await notifier.sessionUpserted(alice, session('s1', true, { r1: { tool: 'Bash' } }));
    await other.sessionUpserted(alice, session('s1', true, { r1: { tool: 'Bash' } }));
    await notifier.sessionUpserted(alice, session('s1', true, { r1: { tool: 'Bash' }, r2: { tool: 'Edit' } }));
    expect(channel.calls).to.deep.equal([
      { what: 'permission', ns: 'alice', sessionId: 's1', detail: ['r1'] },
      { what: 'permission', ns: 'alice', sessionId: 's1', detail: ['r2'] },
    ]);
  });

  it('when the same request id appears in another namespace, then that namespace is notified on its own', async () => {
    await notifier.sessionUpserted(alice, session('s1', true, { r1: { tool: 'Bash' } }));
    await notifier.sessionUpserted(testContext('bob'), session('s1', true, { r1: { tool: 'Bash' } }));
    expect(channel.calls.map((c) => c.ns)).to.deep.equal(['alice', 'bob']);
  });

  it('when the session is inactive, then its pending requests notify nobody', async () => {
    await notifier.sessionUpserted(alice, session('s1', false, { r1: { tool: 'Bash' } }));
    expect(channel.calls).to.deep.equal([]);
  });

  it('when the agent reports ready twice within the cool-down, then one ready is sent; after it, another', async () => {
    sessions.set('s1', { id: 's1', active: true, metadata: null, agentState: null });
    await notifier.messageAppended(alice, message('s1', READY));
    await notifier.messageAppended(alice, message('s1', READY));
    expect(channel.calls.map((c) => c.what)).to.deep.equal(['ready']);
    state.lapse();
    await notifier.messageAppended(alice, message('s1', READY));
    expect(channel.calls.map((c) => c.what)).to.deep.equal(['ready', 'ready']);
  });

  it('when ready comes for a session the directory does not find in the namespace, or an inactive one, then nobody is told', async () => {
    sessions.set('idle', { id: 'idle', active: false, metadata: null, agentState: null });
    await notifier.messageAppended(testContext('bob'), message('s1', READY));
    await notifier.messageAppended(alice, message('idle', READY));
    expect(channel.calls).to.deep.equal([]);
  });

  it('when the agent reports a finished task, then channels get its summary and status; other messages and bad JSON notify nothing', async () => {
    sessions.set('s1', { id: 's1', active: true, metadata: null, agentState: null });
    await notifier.messageAppended(alice, message('s1', TASK));
    await notifier.messageAppended(alice, message('s1', { role: 'agent', content: { type: 'output', data: { type: 'assistant' } } }));
    await notifier.messageAppended(alice, { ...message('s1', null), contentJson: '{not json' });
    expect(channel.calls).to.deep.equal([{ what: 'task', ns: 'alice', sessionId: 's1', detail: { summary: 'tests pass', status: 'completed' } }]);
  });

  it('when one channel fails, then the others are still told', async () => {
    const broken = new RecordingChannel('broken', true);
    const n = new Notifier({ channels: [broken, channel], state, directory: { getSession: async () => null } });
    await n.sessionUpserted(alice, session('s1', true, { r1: { tool: 'Bash' } }));
    expect(broken.calls).to.have.length(1);
    expect(channel.calls).to.have.length(1);
  });

  it('when a session ends, then channels are told with its reason even when the session is gone', async () => {
    await notifier.sessionEnded(alice, 'gone', 'completed');
    expect(channel.calls).to.deep.equal([{ what: 'ended', ns: 'alice', sessionId: 'gone', detail: 'completed' }]);
  });
});
