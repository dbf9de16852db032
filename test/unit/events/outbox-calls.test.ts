import { expect } from 'chai';
import { outboxCalls, type EventRelay, type OutboxEntry } from '../../../lib/events/outbox.js';
import { encodeEntityEvent } from '../../../lib/events/publisher.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { openSqlite } from '../../../lib/store/sqlite.js';
import { SqliteOutbox } from '../../../lib/store/sqlite-outbox.js';

const alice = parseNamespace('alice');
const removed = (id: string) => ({ $case: 'sessionRemoved' as const, sessionRemoved: { sessionId: id } });

/** A relay that records what it is handed and what each answer waits for. */
class RecordingRelay implements EventRelay {
  enqueued: string[] = [];
  waitedFor: string[][] = [];
  enqueue(entries: OutboxEntry[]): void {
    this.enqueued.push(...entries.map((e) => e.msgId));
  }
  async settled(entries: OutboxEntry[]): Promise<void> {
    this.waitedFor.push(entries.map((e) => e.requestId ?? ''));
  }
}

describe('unit events: gRPC calls in the outbox unit of work', () => {
  it('when a read shares a transaction with writes, then it waits for no event; each write waits for its own', async () => {
    const outbox = new SqliteOutbox(openSqlite(':memory:'));
    const relay = new RecordingRelay();
    const around = outboxCalls(outbox, relay);
    const write = (requestId: string) => around(async () => void (await outbox.append(encodeEntityEvent(alice, removed(requestId), { requestId }, 1))), requestId);
    const read = around(async () => 'read', 'req-read');
    // The first call runs alone; the three arriving meanwhile share the next transaction.
    const results = await Promise.all([write('req-a'), write('req-b'), read, write('req-c')]);
    expect(results[2]).to.equal('read');
    expect(relay.enqueued, 'each event handed on once').to.have.length(3);
    expect(relay.waitedFor.sort()).to.deep.equal([['req-a'], ['req-b'], ['req-c']]);
  });

  it('when a call fails after writing, then its events are still handed on and its error is the answer', async () => {
    const outbox = new SqliteOutbox(openSqlite(':memory:'));
    const relay = new RecordingRelay();
    const around = outboxCalls(outbox, relay);
    const failing = around(async () => {
      await outbox.append(encodeEntityEvent(alice, removed('x'), { requestId: 'req-x' }, 1));
      throw new Error('refused after the write');
    }, 'req-x');
    await failing.then(
      () => expect.fail('should reject'),
      (err: Error) => expect(err.message).to.equal('refused after the write'),
    );
    expect(relay.enqueued).to.have.length(1);
  });
});
