import { expect } from 'chai';
import { SSE_TICKET_TTL_MS, SseTickets } from '../../../gateway/http/sse-ticket.js';
import { AppError } from '../../../lib/errors.js';
import { parseNamespace } from '../../../lib/namespace.js';

const claims = { namespace: parseNamespace('alice'), jti: 'j1', exp: 2_000_000_000, issuedMs: 1000, uid: 7 };
/** Never reached: every case here is refused before the single-use check on the bus. */
const noBus = {} as never;

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a refusal');
}

describe('SSE tickets', () => {
  it('when a ticket is issued, then it reveals nothing of the JWT it stands for', () => {
    const t = new SseTickets('internal-secret-0123456789', noBus);
    const { ticket, expiresInMs } = t.issue(claims);
    expect(expiresInMs).to.equal(SSE_TICKET_TTL_MS);
    expect(ticket).to.match(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(ticket, 'base64url').toString('latin1')).to.not.include('alice');
    expect(t.issue(claims).ticket).to.not.equal(ticket);
  });

  it('when a ticket is tampered with, sealed under another secret, or too old, then it is refused as Invalid ticket', async () => {
    let now = 1_000_000;
    const t = new SseTickets('internal-secret-0123456789', noBus, () => now);
    const { ticket } = t.issue(claims);
    const flipped = `${ticket.slice(0, 20)}${ticket[20] === 'A' ? 'B' : 'A'}${ticket.slice(21)}`;
    for (const bad of [flipped, 'short', '', new SseTickets('another-secret-0123456789', noBus).issue(claims).ticket]) {
      const err = await refusal(t.redeem(bad));
      expect(err.code, bad).to.equal('unauthenticated');
      expect(err.message).to.equal('Invalid ticket');
    }
    now += SSE_TICKET_TTL_MS;
    expect((await refusal(t.redeem(ticket))).message).to.equal('Invalid ticket');
  });
});
