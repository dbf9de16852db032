import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startHub, http, createCliSession, webToken, MACHINE_METADATA, waitFor, type Hub } from '../helpers/hub-harness.js';
import { StandIn } from '../surface/stand-ins.js';
import { teamhub, tempDir } from './cli-tool-support.js';

interface Line {
  type: string;
  [k: string]: any;
}

const parseLines = (text: string): Line[] => text.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

/** What a teammate put into the hub, to compare an export with. */
interface Made {
  sessions: string[];
  messages: Map<string, string[]>;
  machines: string[];
  texts: string[];
}

/**
 * The namespace export (`GET /api/export`, `GET /admin/v1/namespaces/:name/export`, `teamhub
 * export`) and the admin overview, through the gateway as clients use them: alice's export holds
 * every one of her sessions, messages (in order) and machines and nothing of bob's; the overview
 * counts both without showing content.
 */
describe('e2e: namespace export and the admin overview', function () {
  this.timeout(120_000);
  let hub: Hub;
  const made: Record<'alice' | 'bob', Made> = { alice: { sessions: [], messages: new Map(), machines: [], texts: [] }, bob: { sessions: [], messages: new Map(), machines: [], texts: [] } };
  const sockets: StandIn[] = [];
  const jwt: Record<string, string> = {};

  before(async () => {
    hub = await startHub();
    for (const [who, sessions, perSession] of [['alice', 2, 4], ['bob', 1, 3]] as const) {
      const token = `${hub.baseToken}:${who}`;
      jwt[who] = await webToken(hub.url, token);
      for (let i = 0; i < sessions; i++) {
        const s = await createCliSession(hub.url, token, `${who}-export-${i}`);
        made[who].sessions.push(s.id);
        const cli = await StandIn.session(hub.url, token, s.id, { heartbeatMs: 0 });
        sockets.push(cli);
        const ids: string[] = [];
        for (let k = 0; k < perSession; k++) {
          const text = `${who} says ${i}.${k}`;
          made[who].texts.push(text);
          cli.emit('message', { sid: s.id, message: JSON.stringify({ role: 'agent', content: { type: 'output', data: { type: 'assistant', text } } }) });
        }
        await waitFor(async () => {
          const r = await http(hub.url, 'GET', `/api/sessions/${s.id}/messages?limit=50`, { token: jwt[who] });
          if (r.json?.messages?.length !== perSession) return null;
          ids.push(...r.json.messages.map((m: { id: string }) => m.id));
          return true;
        }, { timeoutMs: 10_000, what: `${who}'s messages stored` });
        made[who].messages.set(s.id, ids);
      }
      const machineId = `export-machine-${who}`;
      expect((await http(hub.url, 'POST', '/cli/machines', { token, body: { id: machineId, metadata: MACHINE_METADATA, runnerState: null } })).status).to.equal(200);
      made[who].machines.push(machineId);
    }
  });

  after(async () => {
    for (const s of sockets) s.close();
    await hub?.stop();
  });

  function checkExport(lines: Line[], who: 'alice' | 'bob', text: string): void {
    const mine = made[who];
    const other = made[who === 'alice' ? 'bob' : 'alice'];
    expect(lines[0]).to.include({ type: 'export', format: 'teamhub-namespace-export', version: 1, namespace: who });
    const end = lines.at(-1)!;
    const sessions = lines.filter((l) => l.type === 'session').map((l) => l.session.id);
    expect(sessions).to.have.members(mine.sessions);
    for (const sid of mine.sessions) {
      const msgs = lines.filter((l) => l.type === 'message' && l.sessionId === sid).map((l) => l.message);
      expect(msgs.map((m) => m.id), `messages of ${sid}, in order`).to.deep.equal(mine.messages.get(sid));
      expect(msgs.map((m) => m.seq)).to.deep.equal([...msgs.map((m) => m.seq)].sort((a, b) => a - b));
      // Each message line comes after its session's line.
      expect(lines.findIndex((l) => l.type === 'message' && l.sessionId === sid)).to.be.greaterThan(lines.findIndex((l) => l.type === 'session' && l.session.id === sid));
    }
    expect(lines.filter((l) => l.type === 'machine').map((l) => l.machine.id)).to.deep.equal(mine.machines);
    const messageCount = [...mine.messages.values()].reduce((n, ids) => n + ids.length, 0);
    expect(end).to.deep.equal({ type: 'end', sessions: mine.sessions.length, messages: messageCount, machines: mine.machines.length });
    for (const t of mine.texts) expect(text).to.contain(t);
    for (const foreign of [...other.sessions, ...other.machines, ...other.texts, ...[...other.messages.values()].flat()]) expect(text.includes(foreign), `${who}'s export mentions ${foreign}`).to.equal(false);
  }

  it("when alice exports her namespace, then every one of her sessions, messages (in order) and machines is there and nothing of bob's", async () => {
    const r = await http(hub.url, 'GET', '/api/export', { token: jwt.alice });
    expect(r.status, r.text).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^application\/x-ndjson/);
    expect(r.headers.get('content-disposition')).to.match(/^attachment; filename="teamhub-export-\d{4}-\d{2}-\d{2}\.jsonl"$/);
    checkExport(parseLines(r.text), 'alice', r.text);
  });

  it("when bob exports his, then it has his data only; without a login it is 401", async () => {
    const r = await http(hub.url, 'GET', '/api/export', { token: jwt.bob });
    expect(r.status).to.equal(200);
    checkExport(parseLines(r.text), 'bob', r.text);
    expect((await http(hub.url, 'GET', '/api/export')).status).to.equal(401);
    expect((await http(hub.url, 'GET', '/api/export', { token: 'not-a-jwt' })).status).to.equal(401);
  });

  it('when the admin exports alice, then it is the same data; a teammate or the base token on that route is refused, a bad name is 400', async () => {
    const r = await http(hub.url, 'GET', '/admin/v1/namespaces/alice/export', { token: hub.adminToken });
    expect(r.status).to.equal(200);
    checkExport(parseLines(r.text), 'alice', r.text);
    expect((await http(hub.url, 'GET', '/admin/v1/namespaces/alice/export', { token: jwt.bob })).status).to.equal(403);
    expect((await http(hub.url, 'GET', '/admin/v1/namespaces/alice/export', { token: `${hub.baseToken}:bob` })).status).to.equal(403);
    expect((await http(hub.url, 'GET', '/admin/v1/namespaces/alice/export')).status).to.equal(401);
    const bad = await http(hub.url, 'GET', `/admin/v1/namespaces/${encodeURIComponent('a\u0001b')}/export`, { token: hub.adminToken });
    expect(bad.status).to.equal(400);
    expect(bad.json).to.deep.equal({ error: 'Invalid namespace name' });
    // A namespace with nothing in it exports a header and an empty end.
    const empty = parseLines((await http(hub.url, 'GET', '/admin/v1/namespaces/nobody/export', { token: hub.adminToken })).text);
    expect(empty.map((l) => l.type)).to.deep.equal(['export', 'end']);
  });

  it('when the admin asks for the overview, then each namespace has counts and a last activity, no content; anyone else is refused', async () => {
    const r = await http(hub.url, 'GET', '/admin/v1/overview', { token: hub.adminToken });
    expect(r.status, r.text).to.equal(200);
    const rows = r.json.namespaces as Record<string, unknown>[];
    const alice = rows.find((n) => n.name === 'alice')!;
    const bob = rows.find((n) => n.name === 'bob')!;
    expect(alice).to.deep.include({ registered: false, sessions: 2, activeSessions: 2, messages: 8, machines: 1, machinesOnline: 0 });
    expect(bob).to.deep.include({ sessions: 1, messages: 3, machines: 1 });
    expect(alice.lastActivityAt).to.be.a('number').and.greaterThan(Date.now() - 120_000);
    for (const row of rows) expect(Object.keys(row).sort()).to.deep.equal(['activeSessions', 'lastActivityAt', 'machines', 'machinesOnline', 'messages', 'name', 'registered', 'revoked', 'sessions']);
    expect(r.text).to.not.contain('says');
    for (const token of [jwt.alice, `${hub.baseToken}:alice`, hub.baseToken]) expect((await http(hub.url, 'GET', '/admin/v1/overview', { token })).status).to.equal(403);
  });

  it('when teamhub export and namespace list run, then the file is alice\'s export and the table shows the counts', async () => {
    const home = tempDir('teamhub-export-cli-');
    try {
      const file = path.join(home, 'alice.jsonl');
      const r = await teamhub(['export', '-o', file], { home, url: hub.url, env: { CLI_API_TOKEN: `${hub.baseToken}:alice` } });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.contain('Exported 2 sessions, 8 messages, 1 machines');
      const text = fs.readFileSync(file, 'utf8');
      checkExport(parseLines(text), 'alice', text);
      const admin = await teamhub(['export', '--namespace', 'bob'], { home, url: hub.url, env: { TEAMHUB_ADMIN_TOKEN: hub.adminToken } });
      expect(admin.code, admin.stderr).to.equal(0);
      checkExport(parseLines(admin.stdout), 'bob', admin.stdout);
      const refused = await teamhub(['export', '--namespace', 'bob'], { home, url: hub.url, env: { CLI_API_TOKEN: `${hub.baseToken}:alice` } });
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.contain('An admin token is needed');
      const list = await teamhub(['namespace', 'list'], { home, url: hub.url, env: { TEAMHUB_ADMIN_TOKEN: hub.adminToken } });
      expect(list.code, list.stderr).to.equal(0);
      expect(list.stdout).to.match(/^NAME\s+LABEL\s+STATE\s+CREATED\s+LAST USED\s+SESSIONS\s+ACTIVE\s+MESSAGES\s+MACHINES\s+ONLINE\s+LAST ACTIVITY/);
      expect(list.stdout).to.match(/\nalice\s+-\s+open\s+-\s+-\s+2\s+2\s+8\s+1\s+0\s+\d{4}-/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
