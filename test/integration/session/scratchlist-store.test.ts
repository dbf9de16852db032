import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../lib/errors.js';
import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { ScratchlistDomain } from '../../../services/session/scratchlist.js';
import { readScratchlistLimits } from '../../../services/session/scratchlist-config.js';
import { MongoScratchlistStore } from '../../../services/session/scratchlist-store-mongo.js';
import { SqliteScratchlistStore } from '../../../services/session/scratchlist-store-sqlite.js';
import type { ScratchlistStore } from '../../../services/session/scratchlist-store.js';
import { MongoSessionStore } from '../../../services/session/store-mongo.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { SessionStore } from '../../../services/session/store.js';
import { EnvReader } from '../../../lib/config.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { byNamespace, RecordingSink, testContext } from '../../unit/call-context.js';
import { parseNamespace } from '../../../lib/namespace.js';

const alice = parseNamespace('alice');
const bob = parseNamespace('bob');

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

/**
 * The scratchlist's rules against each real store, through the domain the service runs: one
 * namespace never reads or changes another's entries or files, files are stored and served
 * byte for byte, orphans are deleted, the limits hold.
 */
function scratchlistContract(open: () => Promise<{ sessions: SessionStore; scratch: ScratchlistStore }>): void {
  let sessions: SessionStore;
  let scratch: ScratchlistStore;
  let domain: ReturnType<typeof byNamespace<ScratchlistDomain>>;
  let sink: RecordingSink;
  let aliceSession: string;
  let bobSession: string;
  let n = 0;

  before(async () => {
    ({ sessions, scratch } = await open());
    sink = new RecordingSink();
    const limits = { ...readScratchlistLimits(new EnvReader({})), maxBytesPerSession: 64 };
    domain = byNamespace(new ScratchlistDomain(scratch, sessions, sink, limits, () => 1_000 + n++));
    const sd = new SessionDomain(sessions, new SessionEvents(new RecordingSink()));
    aliceSession = (await sd.createOrLoad(testContext('alice'), { tag: `a-${Date.now()}` })).session.id;
    bobSession = (await sd.createOrLoad(testContext('bob'), { tag: `b-${Date.now()}` })).session.id;
  });
  after(async () => {
    await scratch?.close();
    await sessions?.close();
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64');

  it('when alice stores a file and an entry references it, then both read back exactly, newest entry first', async () => {
    const att = await domain.upload(alice, aliceSession, 'a b.txt', 'text/plain', b64('hello'));
    expect(att).to.include({ filename: 'a_b.txt', size: 5 });
    const first = await domain.create(alice, { sessionId: aliceSession, text: 'first', attachments: [] });
    const second = await domain.create(alice, { sessionId: aliceSession, text: 'second', attachments: [att] });
    expect(second.created).to.equal(true);
    const list = await domain.list(alice, aliceSession);
    expect(list.map((e) => e.text).slice(0, 2)).to.deep.equal(['second', 'first']);
    expect(list[0]!.attachments).to.deep.equal([att]);
    const read = await domain.read(alice, aliceSession, att.id);
    expect(read.content.toString()).to.equal('hello');
    expect(first.entry.entryId).to.not.equal(second.entry.entryId);
    expect(sink.events.map((e) => e.input.syncEvent.type)).to.include('session-updated');
  });

  it('when bob names alice\'s session, then 403 on every operation and nothing of hers is read or changed', async () => {
    const att = await domain.upload(alice, aliceSession, 'secret.txt', 'text/plain', b64('secret'));
    const { entry } = await domain.create(alice, { sessionId: aliceSession, text: 'mine', attachments: [att] });
    const calls: Array<() => Promise<unknown>> = [
      () => domain.list(bob, aliceSession),
      () => domain.create(bob, { sessionId: aliceSession, text: 'x', attachments: [] }),
      () => domain.update(bob, aliceSession, entry.entryId, { text: 'x' }),
      () => domain.deleteEntry(bob, aliceSession, entry.entryId),
      () => domain.upload(bob, aliceSession, 'f.txt', 'text/plain', b64('x')),
      () => domain.read(bob, aliceSession, att.id),
      () => domain.deleteAttachment(bob, aliceSession, att.id),
    ];
    for (const c of calls) {
      const err = await rejection(c());
      expect(err.code).to.equal('permission_denied');
      expect(err.message).to.equal('Session access denied');
    }
    expect((await domain.read(alice, aliceSession, att.id)).content.toString()).to.equal('secret');
    expect((await domain.list(alice, aliceSession)).find((e) => e.entryId === entry.entryId)?.text).to.equal('mine');
    // The store itself filters on the namespace: bob's own session sees nothing of alice's.
    expect(await scratch.getAttachmentInfo(bob, aliceSession, att.id)).to.equal(null);
    expect(await scratch.listEntries(bob, aliceSession)).to.deep.equal([]);
    const claimed = await rejection(domain.create(bob, { sessionId: bobSession, text: 'stolen', attachments: [att] }));
    expect(claimed.details.hapiCode).to.equal('scratchlist_attachment_invalid');
  });

  it('when an entry drops an attachment, then its file is deleted unless another entry still uses it', async () => {
    const att = await domain.upload(alice, aliceSession, 'shared.txt', 'text/plain', b64('s'));
    const one = (await domain.create(alice, { sessionId: aliceSession, text: 'one', attachments: [att] })).entry;
    const two = (await domain.create(alice, { sessionId: aliceSession, text: 'two', attachments: [att] })).entry;
    await domain.update(alice, aliceSession, one.entryId, { attachments: [] });
    expect(await scratch.getAttachmentInfo(alice, aliceSession, att.id), 'still used by two').to.not.equal(null);
    await domain.deleteEntry(alice, aliceSession, two.entryId);
    expect(await scratch.getAttachmentInfo(alice, aliceSession, att.id), 'orphan deleted').to.equal(null);
  });

  it('when the session\'s files would pass its byte limit, then the upload is refused with HAPI\'s code', async () => {
    const s = (await new SessionDomain(sessions, new SessionEvents(new RecordingSink())).createOrLoad(testContext('alice'), { tag: `full-${Date.now()}` })).session.id;
    await domain.upload(alice, s, 'a.txt', 'text/plain', b64('x'.repeat(60)));
    const err = await rejection(domain.upload(alice, s, 'b.txt', 'text/plain', b64('x'.repeat(10))));
    expect(err.details.hapiCode).to.equal('scratchlist_attachments_session_bytes');
    expect(await scratch.sessionBytes(alice, s)).to.equal(60);
  });
}

describe('scratchlist store: SQLite', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-scratch-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  scratchlistContract(async () => {
    const file = path.join(dir, 'session.db');
    return { sessions: await SqliteSessionStore.open(file), scratch: await SqliteScratchlistStore.open(file) };
  });
});

describe('scratchlist store: MongoDB (jongodb)', function () {
  this.timeout(60_000);
  let mongo: MongoServer;
  before(async () => {
    mongo = await startMongo();
  });
  after(async () => {
    await mongo?.stop();
  });
  scratchlistContract(async () => {
    const db = mongo.freshDbName();
    return { sessions: await MongoSessionStore.open(mongo.url, db), scratch: await MongoScratchlistStore.open(mongo.url, db) };
  });
});
