import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Namespace } from '../../../lib/namespace.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';

/** The sessions table as versions before the per-session settings and pin mode wrote it. */
const OLD_SCHEMA = `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY, namespace TEXT NOT NULL, tag TEXT NOT NULL, seq INTEGER NOT NULL, createdAt INTEGER NOT NULL,
    updatedAt INTEGER NOT NULL, active INTEGER NOT NULL, activeAt INTEGER NOT NULL, metadataJson TEXT,
    metadataVersion INTEGER NOT NULL, agentStateJson TEXT, agentStateVersion INTEGER NOT NULL, thinking INTEGER NOT NULL,
    thinkingAt INTEGER NOT NULL, activeTurnStartedAt INTEGER, backgroundTaskCount INTEGER NOT NULL,
    todosUpdatedAt INTEGER NOT NULL, teamStateUpdatedAt INTEGER NOT NULL, model TEXT, modelReasoningEffort TEXT,
    effort TEXT, serviceTier TEXT, hasConversationContent INTEGER NOT NULL, pinned INTEGER NOT NULL, todosJson TEXT,
    teamStateJson TEXT, lastMessageSeq INTEGER NOT NULL, archived INTEGER NOT NULL, permissionMode TEXT,
    UNIQUE (namespace, tag)
  );
`;

const alice = 'alice' as Namespace;

describe('session store on a SQLite file written before the settings columns existed', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-session-migrate-'));
    file = path.join(dir, 'session.db');
    const db = new Database(file);
    db.exec(OLD_SCHEMA);
    db.prepare(
      `INSERT INTO sessions VALUES ('s-old', 'alice', 't', 2, 100, 200, 0, 150, '{"path":"/p","host":"h"}', 1, NULL, 1, 0, 0, NULL, 0, 0, 0, 'sonnet', NULL, NULL, NULL, 0, 1, NULL, NULL, 0, 0, NULL)`,
    ).run();
    db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when opened twice, then the columns are added once with their defaults and the old session reads back', async () => {
    for (let i = 0; i < 2; i++) {
      const store = await SqliteSessionStore.open(file);
      try {
        const s = await store.getSession(alice, 's-old');
        // The second open sees what the first one wrote into the added column.
        const collaborationMode = i === 0 ? null : 'plan';
        expect(s).to.deep.include({ model: 'sonnet', pinned: true, collaborationMode, copilotAgentMode: null, globalPinned: false, pendingRequestsCount: 0 });
        expect((await store.listSessions(alice, { order: 'list', limit: 1 })).map((x) => x.id)).to.deep.equal(['s-old']);
        if (i === 0) expect(await store.patchSession(alice, 's-old', { collaborationMode: 'plan' })).to.deep.include({ collaborationMode: 'plan' });
      } finally {
        await store.close();
      }
    }
  });
});
