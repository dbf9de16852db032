import { expect } from 'chai';
import { pino } from 'pino';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { InvalidArgumentError, type NatsConnection } from '@nats-io/transport-node';
import type { EventOutbox, OutboxEntry, UnitOutcome } from '../../../lib/events/outbox.js';
import { OutboxRelay } from '../../../lib/events/outbox-relay.js';
import type { EventStreams } from '../../../lib/events/stream.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { waitFor } from '../../helpers/ports.js';

const alice = parseNamespace('alice');
const entry = (n: number): OutboxEntry => ({ order: n, msgId: `m${n}`, namespace: alice, subject: `teamhub.palice.session.ps${n}.upserted`, data: new Uint8Array([n]) });

/** An outbox kept in memory: what the relay reads at start and what it is told was published. */
class MemoryOutbox implements EventOutbox {
  readonly shared = false;
  forgotten: string[] = [];
  constructor(private readonly backlog: OutboxEntry[] = []) {}
  async append(): Promise<OutboxEntry | null> {
    throw new Error('not used');
  }
  async unitOfWork<T>(fn: () => Promise<T>): Promise<UnitOutcome<T>> {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, handOn: [], own: [] };
  }
  async unpublished(): Promise<OutboxEntry[]> {
    return this.backlog.splice(0);
  }
  async published(entries: OutboxEntry[]): Promise<void> {
    this.forgotten.push(...entries.map((e) => e.msgId));
  }
  async close(): Promise<void> {}
}

type Behaviour = (subject: string, msgId: string) => Promise<PubAck>;

/** JetStream's publish as the relay uses it; `behave` decides each answer, `calls` records them. */
function fakeJetStream(behave: { fn: Behaviour }) {
  const calls: string[] = [];
  const js = {
    publish: (subject: string, _data: Uint8Array, opts: { msgID: string }) => {
      calls.push(opts.msgID);
      return behave.fn(subject, opts.msgID);
    },
  } as unknown as JetStreamClient;
  return { js, calls };
}

/** A connection whose status the test drives (disconnect / reconnect). */
function fakeConnection() {
  const waiting: Array<(v: IteratorResult<{ type: string }>) => void> = [];
  const queued: Array<{ type: string }> = [];
  const nc = {
    status: () => ({
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<{ type: string }>>((resolve) => {
          const q = queued.shift();
          if (q) resolve({ value: q, done: false });
          else waiting.push(resolve);
        }),
      }),
    }),
  } as unknown as NatsConnection;
  const emit = (type: string) => {
    const w = waiting.shift();
    if (w) w({ value: { type }, done: false });
    else queued.push({ type });
  };
  return { nc, emit };
}

const streams = { ensure: async () => ({}), forget: () => undefined } as unknown as EventStreams;
const ack = (seq: number, duplicate = false): PubAck => ({ stream: 'S', seq, duplicate, domain: undefined }) as unknown as PubAck;
const log = pino({ level: 'silent' });

describe('unit events: the outbox relay', () => {
  let relay: OutboxRelay | undefined;
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });

  it('when entries are committed, then they are published in order with their ids as Nats-Msg-Id and the outbox forgets them', async () => {
    const outbox = new MemoryOutbox([entry(1), entry(2)]);
    let seq = 0;
    const { js, calls } = fakeJetStream({ fn: async () => ack(++seq) });
    relay = await OutboxRelay.start({ outbox, nc: fakeConnection().nc, js, streams, log, ackWaitMs: 1000 });
    relay.enqueue([entry(3), entry(4)]);
    await relay.settled([entry(3), entry(4)]);
    expect(calls).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
    await waitFor(() => outbox.forgotten.length === 4);
    expect(outbox.forgotten).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
    expect(relay.backlog).to.equal(0);
  });

  it('when a publish fails, then waiting writes are released at once, the entry is kept and retried, and order holds', async () => {
    const outbox = new MemoryOutbox();
    let failures = 2;
    let seq = 0;
    const behave = { fn: (async (_s: string, id: string) => {
      if (id === 'm1' && failures-- > 0) throw new Error('timeout');
      return ack(++seq);
    }) as Behaviour };
    const { js, calls } = fakeJetStream(behave);
    relay = await OutboxRelay.start({ outbox, nc: fakeConnection().nc, js, streams, log, ackWaitMs: 10_000 });
    const started = Date.now();
    relay.enqueue([entry(1), entry(2)]);
    await relay.settled([entry(1), entry(2)]);
    expect(Date.now() - started, 'a write does not wait out the ack timeout once publishing fails').to.be.lessThan(2000);
    await waitFor(() => relay!.backlog === 0, { timeoutMs: 5000 });
    // m2 was sent along with m1 each time (pipelined); only the run after m1 went through counts it.
    expect(calls.filter((c) => c === 'm1')).to.have.length(3);
    expect(outbox.forgotten).to.deep.equal(['m1', 'm2']);
    expect(relay.answering).to.equal(true);
  });

  it('when the bus is disconnected, then writes do not wait, and the backlog goes out in order once it reconnects', async () => {
    const outbox = new MemoryOutbox();
    const conn = fakeConnection();
    let seq = 0;
    let up = true;
    const behave = { fn: (async () => {
      if (!up) throw new Error('disconnected');
      return ack(++seq);
    }) as Behaviour };
    const { js, calls } = fakeJetStream(behave);
    relay = await OutboxRelay.start({ outbox, nc: conn.nc, js, streams, log, ackWaitMs: 10_000 });
    up = false;
    conn.emit('disconnect');
    await waitFor(() => !relay!.answering);
    const started = Date.now();
    relay.enqueue([entry(1), entry(2), entry(3)]);
    await relay.settled([entry(1), entry(2), entry(3)]);
    expect(Date.now() - started).to.be.lessThan(50);
    expect(relay.backlog).to.equal(3);
    up = true;
    conn.emit('reconnect');
    await waitFor(() => relay!.backlog === 0, { timeoutMs: 5000 });
    expect(calls.filter((c) => c !== undefined).slice(-3)).to.deep.equal(['m1', 'm2', 'm3']);
    expect(outbox.forgotten).to.deep.equal(['m1', 'm2', 'm3']);
  });

  it('when the bus refuses an event for good (too large), then it is dropped and the next ones still go out', async () => {
    const outbox = new MemoryOutbox();
    let seq = 0;
    const behave = { fn: (async (_s: string, id: string) => {
      if (id === 'm2') throw new InvalidArgumentError("'payload' max_payload size exceeded");
      return ack(++seq);
    }) as Behaviour };
    const { js } = fakeJetStream(behave);
    relay = await OutboxRelay.start({ outbox, nc: fakeConnection().nc, js, streams, log, ackWaitMs: 1000 });
    relay.enqueue([entry(1), entry(2), entry(3)]);
    await waitFor(() => relay!.backlog === 0);
    expect(relay.stats).to.include({ published: 2, dropped: 1 });
    expect(outbox.forgotten).to.deep.equal(['m1', 'm2', 'm3']);
  });

  it('when the bus is up but slow, then a write waits at most the ack wait', async () => {
    const outbox = new MemoryOutbox();
    let release: (() => void) | undefined;
    const behave = { fn: (() => new Promise<PubAck>((resolve) => (release = () => resolve(ack(1))))) as Behaviour };
    const { js } = fakeJetStream(behave);
    relay = await OutboxRelay.start({ outbox, nc: fakeConnection().nc, js, streams, log, ackWaitMs: 150 });
    const started = Date.now();
    relay.enqueue([entry(1)]);
    await relay.settled([entry(1)]);
    const waited = Date.now() - started;
    expect(waited).to.be.within(140, 1000);
    expect(relay.backlog).to.equal(1);
    release!();
    await waitFor(() => relay!.backlog === 0);
  });

  it('when JetStream says an event was a duplicate (a retry after a lost ack), then it counts as published once', async () => {
    const outbox = new MemoryOutbox();
    const { js } = fakeJetStream({ fn: async () => ack(7, true) });
    relay = await OutboxRelay.start({ outbox, nc: fakeConnection().nc, js, streams, log, ackWaitMs: 1000 });
    relay.enqueue([entry(1)]);
    await relay.settled([entry(1)]);
    expect(relay.stats).to.include({ published: 0, duplicates: 1 });
    expect(outbox.forgotten).to.deep.equal(['m1']);
  });
});
