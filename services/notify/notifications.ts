import type { CallContext } from '../../lib/context.js';
import type { Message, Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { Directory } from './directory.js';
import type { NotifyState } from './notify-state.js';
import { toSessionView } from './proto-map.js';
import { isReadyEvent, pendingRequests, taskNotificationOf, type PendingRequest, type SessionView, type TaskNotification } from './session-view.js';

/** One way of telling a namespace's people (Telegram, Web Push); every call is for the context's namespace. */
export interface NotificationChannel {
  readonly name: string;
  /** New permission requests (or questions) of an active session; `fresh` lists the new ones. */
  permissionRequested(ctx: CallContext, s: SessionView, fresh: PendingRequest[]): Promise<void>;
  /** The agent finished its turn and waits for input. */
  ready(ctx: CallContext, s: SessionView): Promise<void>;
  /** The agent reported a task finished. */
  taskFinished(ctx: CallContext, s: SessionView, task: TaskNotification): Promise<void>;
  /** The session ended (the CLI's session-end). */
  sessionEnded(ctx: CallContext, s: SessionView, reason: string | undefined): Promise<void>;
}

export interface NotifierDeps {
  channels: NotificationChannel[];
  state: Pick<NotifyState, 'markOnce' | 'passCooldown'>;
  directory: Pick<Directory, 'getSession'>;
}

/**
 * Which session events become notifications, for the event's own namespace only (the context's):
 * a new pending request of an active session (each request once across every replica: it shows
 * in many session events, which reach different replicas, so whoever first creates its mark
 * sends it), the agent's "ready" (at most once per session within the cool-down, as HAPI), a
 * task the agent reports finished, and the end of a session. Each event reaches one replica
 * (queue group), so ready, task and end are sent once. Every channel is told; one failing does
 * not keep the others from it.
 */
export class Notifier {
  constructor(private readonly d: NotifierDeps) {}

  private async each(ctx: CallContext, what: string, call: (c: NotificationChannel) => Promise<void>): Promise<void> {
    await Promise.all(
      this.d.channels.map((c) => call(c).catch((err: unknown) => ctx.log.warn({ err, channel: c.name, what }, 'notification channel failed'))),
    );
  }

  async sessionUpserted(ctx: CallContext, session: Session): Promise<void> {
    const s = toSessionView(session);
    if (!s.active) return;
    const fresh: PendingRequest[] = [];
    for (const req of pendingRequests(s)) if (await this.d.state.markOnce('perm', ctx.namespace, s.id, req.id)) fresh.push(req);
    if (fresh.length === 0) return;
    ctx.log.info({ sessionId: s.id, requestIds: fresh.map((r) => r.id) }, 'permission request notified');
    await this.each(ctx, 'permission', (c) => c.permissionRequested(ctx, s, fresh));
  }

  async messageAppended(ctx: CallContext, message: Message): Promise<void> {
    let content: unknown;
    try {
      content = JSON.parse(message.contentJson) as unknown;
    } catch {
      return;
    }
    const ready = isReadyEvent(content);
    const task = ready ? null : taskNotificationOf(content);
    if (!ready && !task) return;
    const s = await this.d.directory.getSession(ctx, message.sessionId);
    if (!s || !s.active) return;
    if (ready) {
      if (!(await this.d.state.passCooldown('ready', ctx.namespace, s.id))) return;
      await this.each(ctx, 'ready', (c) => c.ready(ctx, s));
    } else if (task) {
      await this.each(ctx, 'task', (c) => c.taskFinished(ctx, s, task));
    }
  }

  async sessionEnded(ctx: CallContext, sessionId: string, reason: string | undefined): Promise<void> {
    const s: SessionView = (await this.d.directory.getSession(ctx, sessionId)) ?? { id: sessionId, active: false, metadata: null, agentState: null };
    await this.each(ctx, 'ended', (c) => c.sessionEnded(ctx, s, reason));
  }
}
