import { expect } from 'chai';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';

describe('e2e foundation: a service outage answers JSON 503 and heals without a gateway restart', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice: string;

  before(async () => {
    hub = await startHub();
    alice = `${hub.baseToken}:alice`;
  });
  after(async () => hub?.stop());

  it('when the session service is killed, then session requests get 503 within 1 s; after restart they succeed', async () => {
    const created = await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag: 'outage', metadata: SESSION_METADATA } });
    expect(created.status).to.equal(200);
    const sid = created.json.session.id as string;

    await hub.stopService('session');
    // The request is aborted after 1 s, so only a prompt answer passes.
    const down = await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice, timeoutMs: 1000 });
    expect(down.status).to.equal(503);
    expect(down.text).to.equal('{"error":"Service unavailable"}');
    expect(down.headers.get('x-hapi-protocol-version')).to.equal('1');
    const downCreate = await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag: 'outage-2', metadata: null }, timeoutMs: 1000 });
    expect(downCreate.status).to.equal(503);

    // Other services are unaffected.
    expect((await http(hub.url, 'GET', '/cli/machines/none', { token: alice })).status).to.equal(404);

    await hub.startService('session');
    const back = await waitFor(
      async () => {
        const r = await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice });
        return r.status === 200 ? r : null;
      },
      { timeoutMs: 10_000, what: 'session service back' },
    );
    expect(back.json.session.id).to.equal(sid);
  });

  it('when the auth service is down, then /cli requests get 503, not 401', async () => {
    await hub.stopService('auth');
    try {
      const r = await http(hub.url, 'GET', '/cli/machines/none', { token: `${hub.baseToken}:zed`, timeoutMs: 1000 });
      expect(r.status).to.equal(503);
      expect(r.json).to.deep.equal({ error: 'Service unavailable' });
    } finally {
      await hub.startService('auth');
    }
    await waitFor(async () => (await http(hub.url, 'GET', '/cli/machines/none', { token: `${hub.baseToken}:zed` })).status === 404, {
      timeoutMs: 10_000,
      what: 'auth back',
    });
  });
});
