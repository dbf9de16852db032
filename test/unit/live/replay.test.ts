import { expect } from 'chai';
import { pino } from 'pino';
import type { EventStreams } from '../../../lib/events/stream.js';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { MAX_REPLAY, planResume } from '../../../gateway/live/sse/replay.js';

const alice = parseNamespace('alice');
const EPOCH = 1_795_618_452_423;
const log = pino({ level: 'silent' });

/** A namespace stream holding seqs first..last, as the JetStream manager answers for it. */
function streamOf(first: number, last: number, opts: { dup?: number } = {}) {
  const reads: number[] = [];
  const jsm = {
    streams: {
      info: async () => ({ state: { first_seq: first, last_seq: last } }),
      getMessage: async (_name: string, q: { seq: number }) => {
        reads.push(q.seq);
        if (q.seq < first || q.seq > last) return null;
        const ev: EntityEvent = { namespace: alice, at: q.seq, requestId: `r${q.seq}`, origin: undefined, change: { $case: 'sessionRemoved', sessionRemoved: { sessionId: `s${q.seq}` } } };
        const id = q.seq === opts.dup ? `m${q.seq - 1}` : `m${q.seq}`;
        return { seq: q.seq, subject: 'teamhub.palice.session.x.removed', data: EntityEvent.encode(ev).finish(), header: { get: (k: string) => (k === 'Nats-Msg-Id' ? id : '') } };
      },
    },
  };
  return { streams: { jsm } as unknown as EventStreams, reads };
}

describe('unit live: planning an SSE resume from a Last-Event-ID', () => {
  it('when the id is a few events behind the live feed, then exactly those events are replayed, in order', async () => {
    const { streams } = streamOf(1, 20);
    const plan = await planResume(streams, alice, { epoch: EPOCH, seq: 17 }, { epoch: EPOCH, position: 20 }, log);
    expect(plan.resume).to.equal('ok');
    expect(plan.resume === 'ok' && plan.events.map((e) => e.position.seq)).to.deep.equal([18, 19, 20]);
    expect(plan.after).to.equal(20);
  });

  it('when the id names a stream made again (another epoch), or none, then the answer is gap without a read', async () => {
    const { streams, reads } = streamOf(1, 20);
    expect((await planResume(streams, alice, { epoch: EPOCH - 1, seq: 5 }, { epoch: EPOCH, position: 20 }, log)).resume).to.equal('gap');
    expect((await planResume(streams, alice, null, { epoch: EPOCH, position: 20 }, log)).resume).to.equal('gap');
    expect(reads).to.deep.equal([]);
  });

  it(`when the id is more than ${MAX_REPLAY} events behind, or older than the stream keeps, then the answer is gap`, async () => {
    expect((await planResume(streamOf(1, 1000).streams, alice, { epoch: EPOCH, seq: 1000 - MAX_REPLAY - 1 }, { epoch: EPOCH, position: 1000 }, log)).resume).to.equal('gap');
    expect((await planResume(streamOf(50, 100).streams, alice, { epoch: EPOCH, seq: 40 }, { epoch: EPOCH, position: 100 }, log)).resume).to.equal('gap');
  });

  it('when the id is ahead of this replica\'s feed (another replica read further), then nothing is replayed and live events up to it are skipped', async () => {
    const plan = await planResume(streamOf(1, 30).streams, alice, { epoch: EPOCH, seq: 30 }, { epoch: EPOCH, position: 28 }, log);
    expect(plan).to.deep.equal({ resume: 'ok', events: [], after: 30 });
  });

  it('when the stream holds one event twice (re-sent after its duplicate window), then it is replayed once', async () => {
    const plan = await planResume(streamOf(1, 10, { dup: 9 }).streams, alice, { epoch: EPOCH, seq: 6 }, { epoch: EPOCH, position: 10 }, log);
    expect(plan.resume === 'ok' && plan.events.map((e) => e.position.seq)).to.deep.equal([7, 8, 10]);
  });
});
