import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse } from '../helpers/sse-client.js';

/**
 * Uploads (stored by the session's CLI, relayed from either gateway replica) and the
 * scratchlist (stored by the hub itself, per namespace and session), with bob's token on
 * alice's ids on every route.
 */
describe('e2e uploads and scratchlist', function () {
  this.timeout(120_000);
  let hub: Hub;
  let r1: string;
  let r2: string;
  let alice: string;
  let aliceJwt: string;
  let bobJwt: string;
  let sessionId: string;
  let bobSessionId: string;
  let cli: CliSocket;
  const uploads: Array<{ sessionId: string; filename: string; content: string; mimeType: string }> = [];

  const api = (url: string, method: string, path: string, token: string, body?: unknown) => http(url, method, path, { token, body, timeoutMs: 30_000 });

  before(async () => {
    hub = await startHub({ gateways: 2 });
    [r1, r2] = hub.urls as [string, string];
    alice = `${hub.baseToken}:alice`;
    aliceJwt = await webToken(r1, alice);
    bobJwt = await webToken(r1, `${hub.baseToken}:bob`);
    sessionId = (await createCliSession(r1, alice)).id;
    bobSessionId = (await createCliSession(r1, `${hub.baseToken}:bob`)).id;
    cli = await connectCli(r1, alice, { sessionId });
    cli.socket.on('rpc-request', (req: { method: string; params: string }, ack: (s: string) => void) => {
      const p = JSON.parse(req.params);
      if (req.method === `${sessionId}:uploadFile`) {
        uploads.push(p);
        ack(JSON.stringify({ success: true, path: `/tmp/hapi-blobs/${p.sessionId}/${p.filename}` }));
      } else if (req.method === `${sessionId}:deleteUpload`) ack(JSON.stringify({ success: true }));
      else ack(JSON.stringify({ error: 'Method not found' }));
    });
    for (const m of ['uploadFile', 'deleteUpload']) cli.socket.emit('rpc-register', { method: `${sessionId}:${m}` });
    cli.socket.emit('session-alive', { sid: sessionId, time: Date.now(), thinking: false });
    await waitFor(async () => (await api(r2, 'GET', `/api/sessions/${sessionId}`, aliceJwt)).json?.session?.active === true, { what: 'session active' });
  });
  after(async () => {
    cli?.close();
    await hub?.stop();
  });

  describe('uploads', () => {
    it('when alice uploads a 3 MB file on replica 2, then the CLI on replica 1 gets it whole and its answer comes back', async () => {
      const bytes = randomBytes(3 * 1024 * 1024);
      const r = await api(r2, 'POST', `/api/sessions/${sessionId}/upload`, aliceJwt, { filename: 'build.log', content: bytes.toString('base64'), mimeType: 'text/plain' });
      expect(r.status, r.text.slice(0, 200)).to.equal(200);
      expect(r.json).to.deep.equal({ success: true, path: `/tmp/hapi-blobs/${sessionId}/build.log` });
      const got = uploads.at(-1)!;
      expect(got.sessionId).to.equal(sessionId);
      expect(Buffer.from(got.content, 'base64').equals(bytes)).to.equal(true);
      const del = await api(r2, 'POST', `/api/sessions/${sessionId}/upload/delete`, aliceJwt, { path: r.json.path });
      expect(del.json).to.deep.equal({ success: true });
    });

    it('when the file is over 50 MB, then 413 with HAPI\'s text and nothing reaches the CLI', async () => {
      const before = uploads.length;
      const content = 'A'.repeat(Math.ceil((50 * 1024 * 1024 + 10) / 3) * 4);
      const r = await api(r1, 'POST', `/api/sessions/${sessionId}/upload`, aliceJwt, { filename: 'huge.bin', content, mimeType: 'application/octet-stream' });
      expect(r.status).to.equal(413);
      expect(r.json).to.deep.equal({ success: false, error: 'File too large (max 50MB)' });
      expect(uploads.length).to.equal(before);
    });

    it('when bob uploads to alice\'s session, or alice sends a bad body, then 403 / 400 and nothing reaches the CLI', async () => {
      const before = uploads.length;
      const bob = await api(r2, 'POST', `/api/sessions/${sessionId}/upload`, bobJwt, { filename: 'x.txt', content: 'aGk=', mimeType: 'text/plain' });
      expect(bob.status).to.equal(403);
      expect(bob.json).to.deep.equal({ error: 'Session access denied' });
      const bobDelete = await api(r2, 'POST', `/api/sessions/${sessionId}/upload/delete`, bobJwt, { path: '/tmp/x' });
      expect(bobDelete.status).to.equal(403);
      const bad = await api(r2, 'POST', `/api/sessions/${sessionId}/upload`, aliceJwt, { filename: 'x.txt' });
      expect(bad.status).to.equal(400);
      expect(bad.json).to.deep.equal({ error: 'Invalid body' });
      expect(uploads.length).to.equal(before);
    });

    it('when the session has no CLI, then 409 session_inactive', async () => {
      const idle = await createCliSession(r1, alice);
      const r = await api(r2, 'POST', `/api/sessions/${idle.id}/upload`, aliceJwt, { filename: 'a.txt', content: 'aGk=', mimeType: 'text/plain' });
      expect(r.status).to.equal(409);
      expect(r.json).to.deep.equal({ error: 'Session is inactive', code: 'session_inactive' });
    });
  });

  describe('scratchlist', () => {
    const note = Buffer.from('remember the migration\n');
    const upload = (url: string, jwt: string, sid: string, extra: Record<string, unknown> = {}) =>
      api(url, 'POST', `/api/sessions/${sid}/scratchlist/upload`, jwt, { filename: 'note one.txt', content: note.toString('base64'), mimeType: 'text/plain', ...extra });

    it('when alice uploads on one replica and references it on the other, then the entry lists it and its bytes are served', async () => {
      const up = await upload(r1, aliceJwt, sessionId);
      expect(up.status, up.text).to.equal(200);
      const att = up.json.attachment;
      expect(att).to.include({ filename: 'note_one.txt', mimeType: 'text/plain', size: note.length });
      expect(att.path).to.equal(`hapi-hub:scratchlist/alice/${sessionId}/${att.id}-note_one.txt`);
      const created = await api(r2, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { text: '  check it  ', attachments: [att] });
      expect(created.status).to.equal(201);
      expect(created.json.entry).to.deep.include({ text: 'check it', attachments: [att] });
      const list = await api(r2, 'GET', `/api/sessions/${sessionId}/scratchlist`, aliceJwt);
      expect(list.json.entries.map((e: { entryId: string }) => e.entryId)).to.include(created.json.entry.entryId);
      const file = await fetch(`${r1}/api/sessions/${sessionId}/scratchlist/attachments/${att.id}`, { headers: { authorization: `Bearer ${aliceJwt}` } });
      expect(file.status).to.equal(200);
      expect(file.headers.get('content-type')).to.equal('text/plain');
      expect(file.headers.get('content-disposition')).to.equal('inline; filename="note_one.txt"');
      expect(Buffer.from(await file.arrayBuffer()).equals(note)).to.equal(true);
      const again = await api(r1, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { entryId: created.json.entry.entryId, text: 'other' });
      expect(again.status, 'an existing entryId answers that entry').to.equal(200);
      expect(again.json.entry.text).to.equal('check it');
    });

    it('when an entry changes, then alice\'s stream gets session-updated {scratchlistUpdatedAt} and bob\'s does not', async () => {
      const aliceStream = await openSse(r2, `/api/events?sessionId=${sessionId}`, { token: aliceJwt });
      const bobStream = await openSse(r2, '/api/events?all=true', { token: bobJwt });
      try {
        await aliceStream.waitFrame((f) => f.data?.type === 'connection-changed');
        await bobStream.waitFrame((f) => f.data?.type === 'connection-changed');
        const created = await api(r1, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { text: 'live' });
        const f = await aliceStream.waitFrame((fr) => fr.data?.type === 'session-updated' && fr.data.data?.scratchlistUpdatedAt !== undefined);
        expect(f.data).to.deep.equal({ type: 'session-updated', sessionId, namespace: 'alice', data: { scratchlistUpdatedAt: created.json.entry.updatedAt } });
        const mark = await api(r1, 'POST', `/api/sessions/${bobSessionId}/scratchlist`, bobJwt, { text: 'bob marker' });
        expect(mark.status).to.equal(201);
        await bobStream.waitFrame((fr) => fr.data?.sessionId === bobSessionId);
        expect(JSON.stringify(bobStream.frames)).to.not.include(sessionId);
      } finally {
        aliceStream.close();
        bobStream.close();
      }
    });

    it('when bob uses alice\'s session on any scratchlist route, then 403 and nothing of hers changes; his own list shows nothing of hers', async () => {
      const up = await upload(r1, aliceJwt, sessionId);
      const att = up.json.attachment;
      const entry = (await api(r1, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { text: 'private', attachments: [att] })).json.entry;
      const base = `/api/sessions/${sessionId}/scratchlist`;
      const tries: Array<[string, string, unknown?]> = [
        ['GET', `${base}/limits`],
        ['GET', base],
        ['POST', base, { text: 'from bob' }],
        ['POST', `${base}/upload`, { filename: 'b.txt', content: 'aGk=', mimeType: 'text/plain' }],
        ['GET', `${base}/attachments/${att.id}`],
        ['PUT', `${base}/${entry.entryId}`, { text: 'changed by bob' }],
        ['DELETE', `${base}/attachments/${att.id}`],
        ['DELETE', `${base}/${entry.entryId}`],
        ['POST', base, {}],
      ];
      for (const [method, path, body] of tries) {
        const r = await api(r2, method, path, bobJwt, body);
        expect(r.status, `${method} ${path}`).to.equal(403);
        expect(r.json, `${method} ${path}`).to.deep.equal({ error: 'Session access denied' });
      }
      const list = await api(r1, 'GET', base, aliceJwt);
      const still = list.json.entries.find((e: { entryId: string }) => e.entryId === entry.entryId);
      expect(still.text).to.equal('private');
      expect(list.json.entries.map((e: { text: string }) => e.text)).to.not.include('from bob');
      // Bob claims alice's attachment in his own session: it is not his session's file.
      const claim = await api(r2, 'POST', `/api/sessions/${bobSessionId}/scratchlist`, bobJwt, { text: 'stolen', attachments: [att] });
      expect(claim.status).to.equal(400);
      expect(claim.json).to.deep.equal({ error: 'Attachment path is outside this session', code: 'scratchlist_attachment_invalid' });
      const bobList = await api(r2, 'GET', `/api/sessions/${bobSessionId}/scratchlist`, bobJwt);
      expect(JSON.stringify(bobList.json)).to.not.include(att.id);
    });

    it('when an upload breaks a limit, then HAPI\'s status, text and code', async () => {
      const mime = await upload(r1, aliceJwt, sessionId, { mimeType: 'application/x-sh' });
      expect(mime.status).to.equal(400);
      expect(mime.json).to.deep.equal({ success: false, error: 'Mime type not allowed', code: 'scratchlist_attachment_mime' });
      const big = await upload(r1, aliceJwt, sessionId, { content: Buffer.alloc(10 * 1024 * 1024 + 1).toString('base64') });
      expect(big.status).to.equal(413);
      expect(big.json).to.deep.equal({ success: false, error: 'File too large', code: 'scratchlist_attachment_too_large' });
      const five = await Promise.all([1, 2, 3, 4, 5].map(() => upload(r1, aliceJwt, sessionId).then((r) => r.json.attachment)));
      const tooMany = await api(r1, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { text: 'five', attachments: five });
      expect(tooMany.status).to.equal(400);
      expect(tooMany.json).to.deep.equal({ error: 'At most 4 attachments per scratchlist entry', code: 'scratchlist_attachments_per_entry' });
    });

    it('when an attachment is referenced it cannot be deleted; once its entry is deleted it is gone', async () => {
      const att = (await upload(r1, aliceJwt, sessionId)).json.attachment;
      const entry = (await api(r1, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { text: 'x', attachments: [att] })).json.entry;
      const inUse = await api(r2, 'DELETE', `/api/sessions/${sessionId}/scratchlist/attachments/${att.id}`, aliceJwt);
      expect(inUse.status).to.equal(409);
      expect(inUse.json).to.deep.equal({ error: 'Attachment is still referenced by a scratchlist entry', code: 'scratchlist_attachment_in_use' });
      expect((await api(r2, 'DELETE', `/api/sessions/${sessionId}/scratchlist/${entry.entryId}`, aliceJwt)).json).to.deep.equal({ ok: true });
      const gone = await api(r2, 'DELETE', `/api/sessions/${sessionId}/scratchlist/attachments/${att.id}`, aliceJwt);
      expect(gone.status, 'the orphaned file was deleted with its entry').to.equal(404);
      expect(gone.json).to.deep.equal({ error: 'Attachment not found' });
      const reuse = await api(r1, 'POST', `/api/sessions/${sessionId}/scratchlist`, aliceJwt, { text: 'y', attachments: [att] });
      expect(reuse.json).to.deep.equal({ error: 'Attachment file missing', code: 'scratchlist_attachment_invalid' });
    });

    it('when the scratchlist has 200 entries, then another is refused with 409 scratchlist_at_cap', async () => {
      const s = await createCliSession(r1, alice);
      for (let i = 0; i < 200; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => api(r1, 'POST', `/api/sessions/${s.id}/scratchlist`, aliceJwt, { text: `n${i + j}` })));
      }
      const r = await api(r2, 'POST', `/api/sessions/${s.id}/scratchlist`, aliceJwt, { text: 'one too many' });
      expect(r.status).to.equal(409);
      expect(r.json).to.deep.equal({ error: 'Scratchlist is at its 200-entry cap', code: 'scratchlist_at_cap' });
      expect((await api(r2, 'GET', `/api/sessions/${s.id}/scratchlist`, aliceJwt)).json.entries).to.have.length(200);
    });
  });
});
