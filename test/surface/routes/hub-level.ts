import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { waitFor } from '../../helpers/ports.js';
import type { World, Who } from '../world.js';
import type { RouteSpec } from './types.js';

/*
 * Hub-level data (hub/src/web/routes/storage.ts, usage.ts, hubSettings.ts). HAPI's "hub owner" is
 * whoever holds the default namespace (the bare base token); teammates get 403 with these bodies.
 * teamhub keeps the bodies but serves hub-level figures to the admin token (`who: 'admin'`: HAPI's
 * owner, teamhub's admin token), refuses the default namespace like any other, and shows each
 * namespace its own usage (HAPI computes usage per namespace but serves only the default one's).
 */

/** On teamhub the default namespace is a namespace like any other: HAPI's owner-only 403 for it too. */
async function ownerRefusedOnTeamhub(w: World, method: string, path: string, body: unknown, error: string): Promise<void> {
  if (w.hub.kind !== 'teamhub') return;
  const r = await w.request('web', method, path, { who: 'owner', body });
  expect(r.status, `${method} ${path} as the default namespace`).to.equal(403);
  expect(r.json).to.deep.equal({ error });
}

/** Who HAPI shows usage to (its owner), and who teamhub does (any namespace: alice here). */
const usageViewer = (w: World): Who => (w.hub.kind === 'teamhub' ? 'alice' : 'owner');

/** One agent message reporting 1234 input and 56 output tokens (Claude's usage), in a session of `who`. */
function usageMessage(w: World, who: Who): Promise<unknown> {
  return w.once(`usage-message:${who}`, async () => {
    const s = await w.session('usage', { who });
    const localId = `usage-${randomBytes(4).toString('hex')}`;
    const message = { role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { id: `msg_${localId}`, model: 'claude-surface', usage: { input_tokens: 1234, output_tokens: 56 }, content: [{ type: 'text', text: 'counted' }] } } }, meta: { sentFrom: 'cli' } };
    s.standIn!.emit('message', { sid: s.id, localId, message });
    await waitFor(async () => {
      const page = await w.request('web', 'GET', `/api/sessions/${s.id}/messages`, { who });
      return (page.json?.messages as Array<{ localId: string | null }> | undefined)?.some((m) => m.localId === localId) ?? false;
    }, { what: 'usage message stored' });
    return null;
  });
}

const Totals = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheCreationTokens: z.number(),
  totalTokens: z.number(),
  uncachedTokens: z.number(),
  requests: z.number(),
});
const Bucket = Totals.extend({ key: z.string() });
const HubSettings = z.object({ sessionSummaryContract: z.boolean(), sessionSummaryInChat: z.boolean() });

export const HUB_LEVEL_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/storage/sqlite',
    module: 'storage',
    plane: 'web',
    summary: 'Size of the hub\'s SQLite database, WAL and shared memory files',
    call: async () => ({ who: 'admin' }),
    ok: {
      status: 200,
      schema: z.object({ path: z.string(), databaseBytes: z.number(), walBytes: z.number(), shmBytes: z.number(), totalBytes: z.number() }),
      check: async (body, w, _c, res) => {
        expect(body.totalBytes).to.equal(body.databaseBytes + body.walBytes + body.shmBytes);
        expect(body.databaseBytes).to.be.greaterThan(0);
        expect(res.headers.get('cache-control')).to.equal('no-store');
        await ownerRefusedOnTeamhub(w, 'GET', '/api/storage/sqlite', undefined, 'Storage usage is only available to the hub owner');
      },
    },
    errors: [],
    foreign: { kind: 'owner-only', status: 403, body: { error: 'Storage usage is only available to the hub owner' } },
    teamhub: 'one SQLite file per service: the admin token gets their sum (and each in `files`); every namespace, the default one too, keeps the 403; 404 with TEAMHUB_STORE=mongo',
  },
  {
    method: 'GET',
    path: '/api/usage/summary',
    module: 'usage',
    plane: 'web',
    summary: 'Token usage of the namespace\'s sessions (`range=7d|30d|all`, `timeZone`), by day, agent and model',
    call: async (w) => {
      await usageMessage(w, usageViewer(w));
      return { who: usageViewer(w), query: { range: '30d', timeZone: 'Europe/Berlin' } };
    },
    ok: {
      status: 200,
      schema: z.object({
        range: z.object({ from: z.number().nullable(), to: z.number() }),
        totals: Totals.extend({ sessions: z.number() }),
        daily: z.array(Bucket),
        byAgent: z.array(Bucket),
        byModel: z.array(Bucket),
        updatedAt: z.number(),
      }),
      check: (body) => {
        // The agent's reported usage (Claude's input_tokens excludes the cache: counted as is here).
        expect(body.totals.inputTokens).to.be.at.least(1234);
        expect(body.totals.outputTokens).to.be.at.least(56);
        expect(body.byModel.map((b: { key: string }) => b.key)).to.include('claude-surface');
        expect(body.byAgent.map((b: { key: string }) => b.key)).to.include('claude');
      },
    },
    errors: [{ status: 400, body: { error: 'Invalid timeZone' }, when: 'an unknown or over-long time zone', call: async (w) => ({ who: usageViewer(w), query: { timeZone: 'Mars/Olympus' } }) }],
    foreign: {
      kind: 'scoped',
      note: 'HAPI: a teammate gets 403 Usage summary is only available to the hub owner. teamhub: bob gets his own usage, none of alice\'s',
      bobCall: async () => ({ who: 'bob', query: { range: 'all' } }),
      check: (bob, w) => {
        if (w.hub.kind === 'hapi') {
          expect(bob.status).to.equal(403);
          expect(bob.json).to.deep.equal({ error: 'Usage summary is only available to the hub owner' });
          return;
        }
        expect(bob.status, bob.text).to.equal(200);
        expect(bob.json.totals.inputTokens, 'bob sees alice\'s usage').to.equal(0);
        expect(bob.json.byModel).to.deep.equal([]);
      },
    },
    teamhub: 'every namespace gets its own usage (HAPI computes it per namespace but 403s all but the default one)',
  },
  {
    method: 'GET',
    path: '/api/hub-settings',
    module: 'hubSettings',
    plane: 'web',
    summary: 'Hub-wide switches every page reads (session summary contract, summary in chat)',
    call: async () => ({}),
    ok: { status: 200, schema: HubSettings },
    errors: [],
    foreign: { kind: 'none', why: 'hub-wide, the same for every namespace (readable by all, writable by the owner)' },
  },
  {
    method: 'PUT',
    path: '/api/hub-settings',
    module: 'hubSettings',
    plane: 'web',
    summary: 'Change the hub-wide switches (at least one field)',
    call: async () => ({ who: 'admin', body: { sessionSummaryInChat: false } }),
    ok: {
      status: 200,
      schema: HubSettings,
      check: async (body, w) => {
        expect(body.sessionSummaryInChat).to.equal(false);
        await ownerRefusedOnTeamhub(w, 'PUT', '/api/hub-settings', { sessionSummaryInChat: true }, 'Hub settings are only available to the hub owner');
        // What the owner wrote, every namespace reads.
        expect((await w.request('web', 'GET', '/api/hub-settings', { who: 'bob' })).json).to.deep.include({ sessionSummaryInChat: false });
      },
    },
    errors: [{ status: 400, body: { error: 'Invalid body' }, when: 'no field', call: async () => ({ who: 'admin', body: {} }) }],
    foreign: { kind: 'owner-only', status: 403, body: { error: 'Hub settings are only available to the hub owner' } },
    teamhub: 'writable with the admin token only',
  },
];
