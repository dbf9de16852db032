import { expect } from 'chai';
import type { Namespace } from '../../../lib/namespace.js';
import { EventIdCodec } from '../../../gateway/live/sse/event-id.js';

const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;
const at = (seq: number, epoch = 1_795_618_452_423) => ({ epoch, seq });

describe('unit live: SSE event ids', () => {
  const codec = new EventIdCodec('secret-one');

  it('when an id is decoded in its namespace by any replica with the same secret, then it yields the stream and seq', () => {
    const id = codec.encode(alice, at(4242));
    expect(id).to.match(/^[A-Za-z0-9_-]+$/);
    expect(id).not.to.contain('4242');
    expect(new EventIdCodec('secret-one').decode(alice, id)).to.deep.equal(at(4242));
  });

  it("when alice's id is presented in bob's stream, then it does not decode", () => {
    expect(codec.decode(bob, codec.encode(alice, at(7)))).to.equal(null);
  });

  it('when the id is tampered, foreign-keyed or junk, then it does not decode', () => {
    const id = codec.encode(alice, at(7));
    const flipped = (id[5] === 'A' ? 'B' : 'A') + '';
    expect(codec.decode(alice, id.slice(0, 5) + flipped + id.slice(6))).to.equal(null);
    expect(new EventIdCodec('other').decode(alice, id)).to.equal(null);
    for (const junk of ['', 'abc', 'bbd0c292:24:683e87f8', 'x'.repeat(500)]) expect(codec.decode(alice, junk)).to.equal(null);
  });

  it('when the same position is encoded twice, then the ids differ (nothing to correlate)', () => {
    expect(codec.encode(alice, at(1))).not.to.equal(codec.encode(alice, at(1)));
  });

  it('when the stream was made again, then the old id names the old stream (a resume there answers gap)', () => {
    expect(codec.decode(alice, codec.encode(alice, at(9, 1)))?.epoch).to.not.equal(at(9).epoch);
  });
});
