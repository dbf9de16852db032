import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { SessionStore } from '../../../services/session/store.js';
import { makeDomain } from './fakes.js';

const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;
const META = '{"path":"/tmp/proj","host":"peerhost"}';

async function rejects(p: Promise<unknown>, code: string, message?: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal(code);
    if (message) expect((err as AppError).message).to.equal(message);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('session domain', () => {
  describe('createOrLoad', () => {
    it('when a tag is new, then a HAPI-initialised session is stored and session-added published with full data', async () => {
      const { domain, sink } = await makeDomain();
      const { session, created } = await domain.createOrLoad(alice, { tag: 't', metadataJson: META, agentStateJson: '{}' });
      expect(created).to.equal(true);
      expect(session).to.include({ id: 'id-1', seq: 0, metadataVersion: 1, agentStateVersion: 1, active: false, activeAt: 1000, thinking: false, thinkingAt: 0, metadataJson: META, agentStateJson: '{}' });
      expect(sink.events).to.have.length(1);
      const ev = sink.events[0]!;
      expect(ev.ns).to.equal(alice);
      expect(ev.input).to.include({ entity: 'session', entityId: 'id-1', type: 'session-added', sessionId: 'id-1' });
      expect(Object.keys(ev.input.syncEvent)).to.deep.equal(['type', 'sessionId', 'data']);
      expect((ev.input.syncEvent.data as Record<string, unknown>).metadata).to.deep.equal({ path: '/tmp/proj', host: 'peerhost' });
    });

    it('when the same tag comes again, then the first session is returned unchanged and nothing is published', async () => {
      const { domain, sink } = await makeDomain();
      const first = await domain.createOrLoad(alice, { tag: 't', metadataJson: META });
      sink.clear();
      const again = await domain.createOrLoad(alice, { tag: 't', metadataJson: '{"path":"/other","host":"h"}' });
      expect(again).to.deep.equal({ session: first.session, created: false });
      expect(sink.events).to.deep.equal([]);
    });

    it('when metadata lacks host or is not an object, then metadata is stored as null; a non-object agent state too', async () => {
      const { domain } = await makeDomain();
      expect((await domain.createOrLoad(alice, { tag: 'a', metadataJson: '{"path":"/p"}' })).session.metadataJson).to.equal(null);
      expect((await domain.createOrLoad(alice, { tag: 'b', metadataJson: 'null', agentStateJson: '[1]' })).session).to.include({ metadataJson: null, agentStateJson: null });
    });

    it('when the body is bad, then invalid_argument', async () => {
      const { domain } = await makeDomain();
      await rejects(domain.createOrLoad(alice, { tag: '' }), 'invalid_argument');
      await rejects(domain.createOrLoad(alice, { tag: 't', metadataJson: '{nope' }), 'invalid_argument');
    });

    it('when a requested id is bound elsewhere, then the two HAPI conflicts apply', async () => {
      const { domain } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't1', metadataJson: META })).session;
      await rejects(domain.createOrLoad(bob, { id: a.id, tag: 'tx' }), 'conflict', 'Session id is already bound to a different session');
      await rejects(domain.createOrLoad(alice, { id: a.id, tag: 'other' }), 'conflict', 'Session id is already bound to a different session');
      await rejects(domain.createOrLoad(alice, { id: 'fresh-id', tag: 't1' }), 'conflict', 'Session tag is already bound to a different id');
      const same = await domain.createOrLoad(alice, { id: a.id, tag: 't1' });
      expect(same.created).to.equal(false);
      const own = await domain.createOrLoad(bob, { id: 'client-id', tag: 't1' });
      expect(own.session).to.include({ id: 'client-id', namespace: bob });
    });

    it('when a concurrent insert wins the race, then the winner is returned', async () => {
      let raced = false;
      const { domain } = await makeDomain((s) => {
        const wrapped = Object.create(s) as SessionStore;
        wrapped.insertSession = async (rec) => {
          if (!raced) {
            raced = true;
            await s.insertSession({ ...rec, id: 'winner' });
            return false;
          }
          return s.insertSession(rec);
        };
        return wrapped;
      });
      const res = await domain.createOrLoad(alice, { tag: 't' });
      expect(res).to.deep.include({ created: false });
      expect(res.session.id).to.equal('winner');
    });
  });

  describe('access rule', () => {
    it("when bob touches alice's session, then permission_denied; an unknown id is not_found", async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't', metadataJson: META })).session;
      sink.clear();
      const denied = 'Session access denied';
      await rejects(domain.get(bob, a.id), 'permission_denied', denied);
      await rejects(domain.updateDoc(bob, a.id, 'metadata', 1, '{}'), 'permission_denied', denied);
      await rejects(domain.setActive(bob, a.id, true, 5), 'permission_denied', denied);
      await rejects(domain.end(bob, a.id, 'completed'), 'permission_denied', denied);
      await rejects(domain.rename(bob, a.id, 'x'), 'permission_denied', denied);
      await rejects(domain.archive(bob, a.id), 'permission_denied', denied);
      await rejects(domain.delete(bob, a.id), 'permission_denied', denied);
      await rejects(domain.appendMessage(bob, { sessionId: a.id, contentJson: '{}', invoked: true }), 'permission_denied', denied);
      await rejects(domain.listMessages(bob, a.id, { afterSeq: 0, limit: 10 }), 'permission_denied', denied);
      await rejects(domain.markConsumed(bob, a.id, ['x'], 1), 'permission_denied', denied);
      await rejects(domain.get(bob, 'nope'), 'not_found', 'Session not found');
      expect(await domain.list(bob)).to.deep.equal([]);
      expect(sink.events).to.deep.equal([]);
      expect(await domain.get(alice, a.id)).to.deep.equal(a);
    });
  });

  describe('list', () => {
    it('when a list asks for no limit or more than 500, then the store query itself reads at most 500 rows; a smaller limit passes as asked', async () => {
      const asked: number[] = [];
      const { domain } = await makeDomain((s) => {
        const wrapped = Object.create(s) as SessionStore;
        wrapped.listSessions = async (ns, query) => {
          asked.push(query?.limit ?? -1);
          return s.listSessions(ns, query);
        };
        return wrapped;
      });
      await domain.list(alice);
      await domain.list(alice, { order: 'list', limit: 0 });
      await domain.list(alice, { order: 'list', limit: 1_000_000 });
      await domain.list(alice, { order: 'updatedAt', limit: 50 });
      expect(asked).to.deep.equal([500, 500, 500, 50]);
      await rejects(domain.list(alice, { order: 'list', limit: -1 }), 'invalid_argument');
    });
  });

  describe('versioned documents', () => {
    it('when the version matches, then it bumps version and seq and publishes session-updated with an update-session body', async () => {
      const { domain, sink, setNow } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't', metadataJson: META })).session;
      sink.clear();
      setNow(2000);
      const out = await domain.updateDoc(alice, a.id, 'agentState', 1, '{"requests":{}}', 'gw1/sock1');
      expect(out).to.deep.include({ ok: true, version: 2, json: '{"requests":{}}' });
      expect(out.session).to.include({ seq: 1, updatedAt: 2000 });
      const ev = sink.events[0]!.input;
      expect(ev).to.include({ type: 'session-updated', origin: 'gw1/sock1' });
      expect(ev.socketUpdate).to.deep.equal({ t: 'update-session', sid: a.id, metadata: null, agentState: { version: 2, value: { requests: {} } } });
    });

    it('when the version is stale, then version-mismatch with the current version and document, and no event', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't', metadataJson: META })).session;
      await domain.updateDoc(alice, a.id, 'metadata', 1, '{"path":"/2","host":"h"}');
      sink.clear();
      const out = await domain.updateDoc(alice, a.id, 'metadata', 1, '{"path":"/3","host":"h"}');
      expect(out).to.deep.include({ ok: false, version: 2, json: '{"path":"/2","host":"h"}' });
      expect(sink.events).to.deep.equal([]);
    });

    it('when renamed, then metadata.name is written with a version bump and odd keys survive', async () => {
      const { domain } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't', metadataJson: '{"path":"/p","host":"h","__proto__":{"x":1},"a.b":2}' })).session;
      const r = await domain.rename(alice, a.id, 'My name');
      expect(r.metadataVersion).to.equal(2);
      expect(r.metadataJson).to.equal('{"path":"/p","host":"h","__proto__":{"x":1},"a.b":2,"name":"My name"}');
      const nometa = (await domain.createOrLoad(alice, { tag: 'n' })).session;
      await rejects(domain.rename(alice, nometa.id, 'x'), 'failed_precondition');
    });
  });

  describe('lifecycle', () => {
    it('when active does not change, then no write and no event; when it changes, one event', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      sink.clear();
      expect((await domain.setActive(alice, a.id, false, 5)).changed).to.equal(false);
      expect(sink.events).to.deep.equal([]);
      const on = await domain.setActive(alice, a.id, true, 5);
      expect(on.changed).to.equal(true);
      expect(on.session).to.include({ active: true, activeAt: 5 });
      expect((await domain.setActive(alice, a.id, true, 9)).changed).to.equal(false);
      expect(sink.types()).to.deep.equal(['session-updated']);
    });

    it('when thinking flips on an active session, then one write and one full session-updated per flip; none otherwise', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      expect((await domain.setThinking(alice, a.id, true, 4)).changed, 'an inactive session never thinks').to.equal(false);
      await domain.setActive(alice, a.id, true, 5);
      sink.clear();
      const on = await domain.setThinking(alice, a.id, true, 6);
      expect(on.changed).to.equal(true);
      expect(on.session).to.include({ thinking: true, thinkingAt: 6 });
      expect((await domain.setThinking(alice, a.id, true, 7)).changed).to.equal(false);
      const off = await domain.setThinking(alice, a.id, false, 8);
      expect(off.session).to.include({ thinking: false, thinkingAt: 8 });
      expect(sink.types()).to.deep.equal(['session-updated', 'session-updated']);
      const data = (sink.events[0]!.input.syncEvent as { data: Record<string, unknown> }).data;
      expect(data).to.include({ id: a.id, thinking: true, active: true });
      await rejects(domain.setThinking(bob, a.id, true, 9), 'permission_denied');
    });

    it('when ended, then inactive, session-updated then session-ended with the reason', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      await domain.setActive(alice, a.id, true, 5);
      sink.clear();
      const s = await domain.end(alice, a.id, 'terminated');
      expect(s.active).to.equal(false);
      expect(sink.types()).to.deep.equal(['session-updated', 'session-ended']);
      expect(sink.events[1]!.input.syncEvent).to.deep.equal({ type: 'session-ended', sessionId: a.id, reason: 'terminated' });
      sink.clear();
      await domain.end(alice, a.id, '');
      expect(sink.events.map((e) => e.input.syncEvent)).to.deep.equal([{ type: 'session-ended', sessionId: a.id }]);
    });

    it('when deleting an active session, then failed_precondition; inactive deletes it and its messages', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{}', invoked: true });
      await domain.setActive(alice, a.id, true, 5);
      await rejects(domain.delete(alice, a.id), 'failed_precondition', 'Cannot delete active session. Archive it first.');
      await domain.archive(alice, a.id);
      sink.clear();
      await domain.delete(alice, a.id);
      expect(sink.events.map((e) => e.input.syncEvent)).to.deep.equal([{ type: 'session-removed', sessionId: a.id }]);
      await rejects(domain.get(alice, a.id), 'not_found');
    });

    it('when archived, then archived and inactive with a session-updated', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      await domain.setActive(alice, a.id, true, 5);
      sink.clear();
      expect(await domain.archive(alice, a.id)).to.include({ archived: true, active: false });
      expect(sink.types()).to.deep.equal(['session-updated']);
    });
  });

  describe('messages', () => {
    it('when the first message arrives, then session-updated (hasConversationContent) then message-received with both shapes', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      sink.clear();
      const { message } = await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{"role":"agent"}', createdAt: 77, invoked: true, origin: 'o' });
      expect(message).to.include({ seq: 1, invokedAt: 77, localId: null });
      expect(sink.types()).to.deep.equal(['session-updated', 'message-received']);
      expect((sink.events[0]!.input.syncEvent.data as Record<string, unknown>).hasConversationContent).to.equal(true);
      const ev = sink.events[1]!.input;
      expect(ev).to.include({ entity: 'message', entityId: a.id, origin: 'o' });
      expect(JSON.stringify(ev.syncEvent)).to.equal(
        `{"type":"message-received","sessionId":"${a.id}","message":{"id":"${message.id}","seq":1,"localId":null,"content":{"role":"agent"},"createdAt":77,"invokedAt":77}}`,
      );
      expect(JSON.stringify(ev.socketUpdate)).to.equal(
        `{"t":"new-message","sid":"${a.id}","message":{"id":"${message.id}","seq":1,"createdAt":77,"localId":null,"content":{"role":"agent"}}}`,
      );
      sink.clear();
      await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{}', invoked: true });
      expect(sink.types()).to.deep.equal(['message-received']);
    });

    it('when a localId repeats, then the stored message returns with created=false and nothing is published', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      const first = await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{"a":1}', localId: 'L', invoked: false });
      expect(first.message.invokedAt).to.equal(null);
      sink.clear();
      const again = await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{"a":2}', localId: 'L', invoked: false });
      expect(again).to.deep.equal({ message: first.message, created: false });
      expect(sink.events).to.deep.equal([]);
    });

    it('when queued messages are consumed, then invokedAt is stamped and messages-consumed lists them', async () => {
      const { domain, sink } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{}', localId: 'q', invoked: false });
      sink.clear();
      expect(await domain.markConsumed(alice, a.id, ['q', 'zz'], 500)).to.deep.equal({ localIds: ['q'], invokedAt: 500 });
      expect(sink.events[0]!.input.syncEvent).to.deep.equal({ type: 'messages-consumed', sessionId: a.id, localIds: ['q'], invokedAt: 500 });
      sink.clear();
      expect((await domain.markConsumed(alice, a.id, ['q'], 600)).localIds).to.deep.equal([]);
      expect(sink.events).to.deep.equal([]);
    });

    it('when paging arguments are wrong, then invalid_argument', async () => {
      const { domain } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      await rejects(domain.listMessages(alice, a.id, { afterSeq: 0, beforeSeq: 5, limit: 10 }), 'invalid_argument');
      await rejects(domain.listMessages(alice, a.id, { afterSeq: 0, limit: 201 }), 'invalid_argument');
    });

    it('when content arrives, then it is stored as the text the gateway sent, never parsed by the service', async () => {
      const { domain } = await makeDomain();
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      const text = '{"role":"user","content":{"type":"text","text":"x"},"__proto__":{"a":1}}';
      const parse = JSON.parse;
      let parses = 0;
      JSON.parse = ((t: string, r?: (k: string, v: unknown) => unknown) => (parses++, parse(t, r))) as typeof JSON.parse;
      try {
        await domain.appendMessage(alice, { sessionId: a.id, contentJson: text, invoked: false });
      } finally {
        JSON.parse = parse;
      }
      expect(parses).to.equal(0);
      const [stored] = (await domain.listMessages(alice, a.id, { afterSeq: 0, limit: 10 })).messages;
      expect(stored!.contentJson).to.equal(text);
    });

    it('when the event sink fails, then the write still succeeds', async () => {
      const { domain, sink } = await makeDomain();
      sink.fail = true;
      const a = (await domain.createOrLoad(alice, { tag: 't' })).session;
      const m = await domain.appendMessage(alice, { sessionId: a.id, contentJson: '{}', invoked: true });
      expect(m.created).to.equal(true);
      expect((await domain.listMessages(alice, a.id, { afterSeq: 0, limit: 0 })).messages).to.have.length(1);
    });
  });
});
