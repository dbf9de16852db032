import { expect } from 'chai';
import type { Request } from 'playwright-core';
import { createCliSession, waitFor } from '../helpers/hub-harness.js';
import { logIn, startWebFixture, trackJwt, type WebFixture } from './fixture.js';

/**
 * The page opens its event stream with a 30 s single-use ticket (POST /api/events/ticket with the
 * JWT in the Authorization header), so the JWT never sits in a URL a proxy or a log could keep;
 * HAPI's `?token=` stays for HAPI's own web app. When the page re-exchanges its JWT, it reopens
 * the stream with a fresh ticket and stays live.
 */
describe('browser: the page streams events with a ticket, never with the JWT in the URL', function () {
  this.timeout(120_000);
  let fx: WebFixture;

  before(async () => {
    // A 12 s JWT: the page re-exchanges it about 9 s after login (a quarter before it expires).
    fx = await startWebFixture({ TEAMHUB_WEB_JWT_TTL_SEC: '12' });
  });
  after(async () => fx?.stop());

  it('when alice logs in and her JWT is re-exchanged, then every stream opens with a new ticket, no URL holds a JWT, and the page stays live', async () => {
    const { page } = fx.alice;
    const streams: string[] = [];
    const tickets: Request[] = [];
    const urls: string[] = [];
    page.on('request', (r) => {
      urls.push(r.url());
      const path = new URL(r.url()).pathname;
      if (path === '/api/events') streams.push(r.url());
      if (path === '/api/events/ticket') tickets.push(r);
    });
    const jwtNow = trackJwt(fx.alice);
    const first = await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    // The re-exchange gives a new JWT; the page reopens its stream with it.
    await waitFor(() => jwtNow() !== undefined && jwtNow() !== first && streams.length >= 2, { timeoutMs: 30_000, what: 'a re-exchanged JWT and a reopened stream' });
    const second = jwtNow()!;
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    const ticketsSeen = streams.map((u) => new URL(u).searchParams.get('ticket'));
    for (const [i, u] of streams.entries()) {
      expect(new URL(u).searchParams.has('token'), `stream ${i} has ?token=`).to.equal(false);
      expect(ticketsSeen[i], `stream ${i} ticket`).to.be.a('string').with.length.above(20);
    }
    expect(new Set(ticketsSeen).size, 'a ticket is used once').to.equal(streams.length);
    for (const r of tickets) {
      expect(r.method()).to.equal('POST');
      expect([`Bearer ${first}`, `Bearer ${second}`]).to.include(r.headers()['authorization']);
    }
    for (const u of urls) {
      for (const jwt of [first, second]) expect(u.includes(jwt), `a JWT in ${u}`).to.equal(false);
      expect(u.includes(encodeURIComponent(fx.token.alice)), `the access token in ${u}`).to.equal(false);
    }

    // Past the first JWT's expiry the reopened stream still carries alice's events.
    const s = await createCliSession(fx.hub.url, fx.token.alice, 'after-reexchange');
    await page.locator(`[data-session-id="${s.id}"]`).waitFor({ timeout: 5000 });
  });
});
