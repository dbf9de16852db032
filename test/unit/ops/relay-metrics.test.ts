import { expect } from 'chai';
import { pino } from 'pino';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventOutbox, OutboxEntry, UnitOutcome } from '../../../lib/events/outbox.js';
import { OutboxRelay } from '../../../lib/events/outbox-relay.js';
import type { EventStreams } from '../../../lib/events/stream.js';
import { hubMetrics } from '../../../lib/metrics/registry.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { waitFor } from '../../helpers/ports.js';
import { parsePrometheus, sumOf } from '../../helpers/prometheus.js';

const alice = parseNamespace('alice');
const entry = (n: number, kind: string): OutboxEntry => ({ order: n, msgId: `rm${n}`, namespace: alice, subject: `teamhub.palice.machine.pm${n}.${kind}`, data: new Uint8Array([n]) });

/** An outbox whose backlog is the given entries, recording what the relay says it published. */
function memoryOutbox(backlog: OutboxEntry[]): EventOutbox & { forgotten: string[] } {
  const forgotten: string[] = [];
  return {
    shared: false,
    forgotten,
    append: async () => null,
    unitOfWork: async <T>(fn: () => Promise<T>): Promise<UnitOutcome<T>> => ({ result: (await Promise.allSettled([fn()]))[0]!, handOn: [], own: [] }),
    unpublished: async () => backlog.splice(0),
    published: async (entries) => void forgotten.push(...entries.map((e) => e.msgId)),
    close: async () => {},
  };
}

const idleConnection = { status: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) }) } as unknown as NatsConnection;
const streams = { ensure: async () => ({}), forget: () => undefined } as unknown as EventStreams;

const published = async (kind: string, result: 'ok' | 'failed') => sumOf(parsePrometheus(await hubMetrics().text()), 'teamhub_events_published_total', { entity: 'machine', kind, result });

/**
 * The services publish through the outbox relay, so the events-published counter is kept there:
 * by the entity and kind words of the subject (never the namespace or id), ok or failed.
 */
describe('unit ops: the outbox relay counts what it publishes', () => {
  it('when one event is stored and the next fails once, then the counter says two ok and one failed, and no namespace appears', async () => {
    const before = { ok: await published('ended', 'ok'), failed: await published('ended', 'failed') };
    let failOnce = true;
    const js = {
      publish: async (_s: string, _d: Uint8Array, opts: { msgID: string }): Promise<PubAck> => {
        if (opts.msgID === 'rm2' && failOnce) {
          failOnce = false;
          throw new Error('no responders');
        }
        return { stream: 'S', seq: 1, duplicate: false } as unknown as PubAck;
      },
    } as unknown as JetStreamClient;
    const outbox = memoryOutbox([entry(1, 'ended'), entry(2, 'ended')]);
    const relay = await OutboxRelay.start({ outbox, nc: idleConnection, js, streams, log: pino({ level: 'silent' }), ackWaitMs: 1000 });
    try {
      await waitFor(() => outbox.forgotten.length === 2, { what: 'both published' });
      expect(await published('ended', 'ok')).to.equal(before.ok + 2);
      expect(await published('ended', 'failed')).to.equal(before.failed + 1);
      const text = await hubMetrics().text();
      expect(text).to.not.match(/palice|alice|pm1/);
    } finally {
      await relay.close();
    }
  });
});
