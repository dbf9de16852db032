import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CallContext } from '../../lib/context.js';
import { ToastReply, ToastRequest } from '../../lib/gen/teamhub/notify/v1/notify.js';
import { decodeStreamEntry, namespaceStreamsFilter, SSE_STREAMS_BUCKET, subscriptionIdOfKey } from '../../lib/nats/sse-stream-registry.js';
import { toastSubject } from '../../lib/nats/subjects.js';

/** What a visible page shows instead of a push. */
export interface Toast {
  title: string;
  body: string;
  sessionId: string;
  url: string;
}

/** Shows a toast on the visible pages of the context's namespace; how many pages showed it. */
export interface ToastShower {
  toast(ctx: CallContext, t: Toast): Promise<number>;
}

/**
 * The visible pages of a namespace, wherever they are open: the gateways enter every SSE stream
 * with its visibility in the shared registry (`teamhub_sse_streams`); this asks each replica that
 * holds a visible stream of the namespace to show the toast there (one request per replica, named
 * by the replica, so each page gets it once) and counts the pages that did. A replica that does
 * not answer within the timeout counts as none, so the notification is pushed instead.
 */
export class VisiblePages implements ToastShower {
  private kv: KV | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {}

  /** The registry bucket; null while no gateway has made it (then no page is open anywhere). */
  private async bucket(): Promise<KV | null> {
    if (this.kv) return this.kv;
    try {
      this.kv = await new Kvm(this.nc).open(SSE_STREAMS_BUCKET);
      await this.kv.status();
      return this.kv;
    } catch {
      this.kv = null;
      return null;
    }
  }

  /** Subscription ids of the namespace's visible streams, by the replica holding them. */
  async visibleStreams(ctx: CallContext): Promise<Map<string, string[]>> {
    const byReplica = new Map<string, string[]>();
    const kv = await this.bucket();
    if (!kv) return byReplica;
    for await (const key of await kv.keys(namespaceStreamsFilter(ctx.namespace))) {
      const e = await kv.get(key);
      const entry = e && e.operation === 'PUT' ? decodeStreamEntry(e.string()) : null;
      if (!entry?.visible) continue;
      byReplica.set(entry.replica, [...(byReplica.get(entry.replica) ?? []), subscriptionIdOfKey(key)]);
    }
    return byReplica;
  }

  async toast(ctx: CallContext, t: Toast): Promise<number> {
    const visible = await this.visibleStreams(ctx);
    const counts = await Promise.all(
      [...visible].map(async ([replica, ids]) => {
        const req = ToastRequest.encode({ namespace: ctx.namespace, subscriptionIds: ids, ...t }).finish();
        try {
          return ToastReply.decode((await this.nc.request(toastSubject(ctx.namespace, replica), req, { timeout: this.timeoutMs })).data).delivered;
        } catch (err) {
          ctx.log.warn({ err, replica }, 'toast not shown by its replica');
          return 0;
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}
