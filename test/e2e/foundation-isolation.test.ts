import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, httpDeclaredBody, MACHINE_METADATA, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';

describe('e2e foundation: /cli machines and sessions are isolated per namespace', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice: string;
  let bob: string;
  const mid = `m-${randomUUID()}`;

  before(async () => {
    hub = await startHub();
    alice = `${hub.baseToken}:alice`;
    bob = `${hub.baseToken}:bob`;
  });
  after(async () => hub?.stop());

  const cli = (method: string, path: string, token: string, body?: unknown) => http(hub.url, method, path, { token, body });

  it('when GET /health, then HAPI shape without auth', async () => {
    const r = await http(hub.url, 'GET', '/health');
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('{"status":"ok","protocolVersion":1,"capabilities":{"workGraph":true,"titleSuggestion":false,"sseTicket":true}}');
  });

  it('when alice registers a machine, then 200 with the HAPI Machine shape in namespace alice', async () => {
    const r = await cli('POST', '/cli/machines', alice, { id: mid, metadata: MACHINE_METADATA });
    expect(r.status).to.equal(200);
    expect(r.headers.get('x-hapi-protocol-version')).to.equal('1');
    expect(Object.keys(r.json.machine)).to.deep.equal([
      'id', 'namespace', 'seq', 'createdAt', 'updatedAt', 'active', 'activeAt', 'metadata', 'metadataVersion', 'runnerState', 'runnerStateVersion', 'health',
    ]);
    expect(r.json.machine).to.include({ id: mid, namespace: 'alice', seq: 0, active: false, metadataVersion: 1, runnerState: null, runnerStateVersion: 1, health: null });
    expect(r.json.machine.metadata).to.deep.equal(MACHINE_METADATA);
  });

  it('when bob registers the same machine id, then 403 Machine access denied', async () => {
    const r = await cli('POST', '/cli/machines', bob, { id: mid, metadata: MACHINE_METADATA });
    expect(r.status).to.equal(403);
    expect(r.text).to.equal('{"error":"Machine access denied"}');
    expect(r.headers.get('x-hapi-protocol-version')).to.equal('1');
  });

  it('when bob or default GET alice machine, then 403; alice gets it; unknown is 404', async () => {
    expect((await cli('GET', `/cli/machines/${mid}`, bob)).text).to.equal('{"error":"Machine access denied"}');
    expect((await cli('GET', `/cli/machines/${mid}`, hub.baseToken)).status).to.equal(403);
    const own = await cli('GET', `/cli/machines/${mid}`, alice);
    expect(own.status).to.equal(200);
    expect(own.json.machine.namespace).to.equal('alice');
    const unknown = await cli('GET', '/cli/machines/no-such-machine', alice);
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.equal('{"error":"Machine not found"}');
  });

  it('when the machine body is invalid, then 400 Invalid body; empty metadata gives metadata null', async () => {
    const bad = await cli('POST', '/cli/machines', alice, { id: 'm-x' });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.equal('{"error":"Invalid body"}');
    expect(bad.headers.get('x-hapi-protocol-version')).to.equal('1');
    expect((await cli('POST', '/cli/machines', alice, { id: '', metadata: {} })).status).to.equal(400);
    expect((await cli('POST', '/cli/machines', alice, { id: 'm-z', metadata: {}, runnerState: 'x' })).status).to.equal(400);
    const empty = await cli('POST', '/cli/machines', alice, { id: `m-${randomUUID()}`, metadata: {} });
    expect(empty.status).to.equal(200);
    expect(empty.json.machine.metadata).to.equal(null);
  });

  it('when the body is not JSON, not UTF-8, or too large, then 400/400/413 JSON errors', async () => {
    const notJson = await http(hub.url, 'POST', '/cli/machines', { token: alice, rawBody: '{bad' });
    expect(notJson.status).to.equal(400);
    expect(notJson.text).to.equal('{"error":"Invalid body"}');
    const badUtf8 = await http(hub.url, 'POST', '/cli/machines', { token: alice, rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
    expect(badUtf8.status).to.equal(400);
    expect(badUtf8.json).to.deep.equal({ error: 'Invalid body' });
    const big = await httpDeclaredBody(hub.url, 'POST', '/cli/machines', { authorization: `Bearer ${alice}`, 'content-type': 'application/json' }, 9 * 1024 * 1024, '{"id":');
    expect(big.status).to.equal(413);
    expect(big.text).to.equal('{"error":"Payload too large"}');
  });

  let sid = '';
  it('when alice creates a session, then 200 HAPI shape, and the same tag loads it again', async () => {
    const r = await cli('POST', '/cli/sessions', alice, { tag: 'tag-1', metadata: SESSION_METADATA });
    expect(r.status).to.equal(200);
    expect(r.json.sessionSummaryContract).to.equal(false);
    expect(r.json.session).to.include({ namespace: 'alice', seq: 0, active: false, metadataVersion: 1, agentState: null, agentStateVersion: 1 });
    expect(r.json.session.metadata).to.deep.equal(SESSION_METADATA);
    sid = r.json.session.id;
    const again = await cli('POST', '/cli/sessions', alice, { tag: 'tag-1', metadata: { path: '/other', host: 'h' } });
    expect(again.json.session.id).to.equal(sid);
    expect(again.json.session.metadata).to.deep.equal(SESSION_METADATA);
  });

  it('when bob or default GET alice session or its messages, then 403 Session access denied', async () => {
    for (const tok of [bob, hub.baseToken]) {
      const r = await cli('GET', `/cli/sessions/${sid}`, tok);
      expect(r.status).to.equal(403);
      expect(r.text).to.equal('{"error":"Session access denied"}');
      const m = await cli('GET', `/cli/sessions/${sid}/messages?afterSeq=0`, tok);
      expect(m.status).to.equal(403);
      expect(m.text).to.equal('{"error":"Session access denied"}');
    }
    const own = await cli('GET', `/cli/sessions/${sid}`, alice);
    expect(own.status).to.equal(200);
    expect(own.json).to.have.keys('session', 'sessionSummaryContract');
    const unknown = await cli('GET', `/cli/sessions/${randomUUID()}`, bob);
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.equal('{"error":"Session not found"}');
  });

  it('when alice lists messages, then {messages:[]}; a bad query is 400 Invalid query', async () => {
    const r = await cli('GET', `/cli/sessions/${sid}/messages?afterSeq=0&limit=200`, alice);
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('{"messages":[]}');
    for (const q of ['afterSeq=-1', 'afterSeq=x', 'limit=0', 'limit=201', 'afterSeq=1.5']) {
      const bad = await cli('GET', `/cli/sessions/${sid}/messages?${q}`, alice);
      expect(bad.status, q).to.equal(400);
      expect(bad.text).to.equal('{"error":"Invalid query"}');
    }
  });

  it('when bob uses the same tag, then bob gets a different session in namespace bob', async () => {
    const r = await cli('POST', '/cli/sessions', bob, { tag: 'tag-1', metadata: SESSION_METADATA });
    expect(r.status).to.equal(200);
    expect(r.json.session.namespace).to.equal('bob');
    expect(r.json.session.id).to.not.equal(sid);
  });

  it('when an id is bound to another session or namespace, then 409 with HAPI texts', async () => {
    const foreign = await cli('POST', '/cli/sessions', bob, { id: sid, tag: 'tag-x', metadata: SESSION_METADATA });
    expect(foreign.status).to.equal(409);
    expect(foreign.text).to.equal('{"error":"Session id is already bound to a different session"}');
    const otherTag = await cli('POST', '/cli/sessions', alice, { id: sid, tag: 'tag-other', metadata: SESSION_METADATA });
    expect(otherTag.status).to.equal(409);
    const tagBound = await cli('POST', '/cli/sessions', alice, { id: randomUUID(), tag: 'tag-1', metadata: SESSION_METADATA });
    expect(tagBound.status).to.equal(409);
    expect(tagBound.text).to.equal('{"error":"Session tag is already bound to a different id"}');
  });

  it('when bob embeds alice machine, then 403 and no session is created', async () => {
    const r = await cli('POST', '/cli/sessions', bob, { tag: 'tag-lazy', metadata: SESSION_METADATA, machine: { id: mid, metadata: MACHINE_METADATA } });
    expect(r.status).to.equal(403);
    expect(r.text).to.equal('{"error":"Machine access denied"}');
    const own = await cli('POST', '/cli/machines', bob, { id: `m-${randomUUID()}`, metadata: MACHINE_METADATA });
    const lazy = await cli('POST', '/cli/sessions', bob, { tag: 'tag-lazy', metadata: SESSION_METADATA, machine: { id: own.json.machine.id, metadata: MACHINE_METADATA } });
    expect(lazy.status).to.equal(200);
    // The earlier refused call created nothing: this is a fresh session (seq 0, created just now).
    expect(lazy.json.session.namespace).to.equal('bob');
  });

  it('when the session body is invalid, then 400 Invalid body; metadata null is accepted', async () => {
    for (const body of [{ metadata: SESSION_METADATA }, { tag: '', metadata: null }, { tag: 't' }, { id: 'not-a-uuid', tag: 't', metadata: null }, [1]]) {
      const r = await cli('POST', '/cli/sessions', alice, body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.text).to.equal('{"error":"Invalid body"}');
    }
    const nullMeta = await cli('POST', '/cli/sessions', alice, { tag: 'tag-nullmeta', metadata: null });
    expect(nullMeta.status).to.equal(200);
    expect(nullMeta.json.session.metadata).to.equal(null);
  });
});
