import { expect } from 'chai';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';

/** The queries the auth service runs on every verifier refresh and pruning pass use an index, not a scan. */
describe('auth store (SQLite): the growing tables are read and pruned through indexes', () => {
  it('when revocations, throttles, trust pairs and audit rows are listed or pruned, then SQLite plans an index search', async () => {
    const store = await SqliteAuthStore.open(':memory:');
    const db = (store as unknown as { db: { prepare(sql: string): { all(...a: unknown[]): { detail: string }[] } } }).db;
    const plan = (sql: string) => db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1).map((r) => r.detail).join('; ');
    for (const sql of [
      'SELECT * FROM revoked_jtis WHERE expiresAt > ?',
      'DELETE FROM revoked_jtis WHERE expiresAt < ?',
      'DELETE FROM throttles WHERE windowStart < ?',
      'DELETE FROM trusted_clients WHERE at < ?',
      'DELETE FROM audit WHERE at < ?',
    ]) {
      expect(plan(sql), sql).to.match(/USING (COVERING )?INDEX/);
    }
    await store.close();
  });
});
