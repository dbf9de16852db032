import { expect } from 'chai';
import { buildConversation, type Row, type StoredMessage } from '../../../web/src/lib/chat/conversation.js';
import { normalizeMessage } from '../../../web/src/lib/chat/normalize.js';
import { presentTool, resultText } from '../../../web/src/lib/chat/tools.js';
import { CONVERSATION, EDIT_NEW, EDIT_OLD } from './hapi-messages.js';

const stored = (content: unknown, i: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({ id: `m${i}`, seq: i + 1, localId: null, content, createdAt: 1000 + i, ...extra });
const rowsOf = (list: unknown[], agentState?: unknown): Row[] => buildConversation(list.map((c, i) => stored(c, i)), agentState);

function tools(rows: Row[]) {
  return rows.flatMap((r) => (r.kind === 'agent' ? r.items : [])).flatMap((it) => (it.type === 'tool' ? [it.tool] : []));
}

describe('web conversation: HAPI message content to rows', () => {
  it('when the whole sample conversation is read, then user, agent and event rows come in order and bookkeeping is left out', () => {
    const rows = rowsOf(CONVERSATION);
    expect(rows.map((r) => r.kind)).to.deep.equal(['user', 'agent', 'agent', 'agent', 'agent', 'agent', 'agent', 'agent', 'agent', 'agent', 'event']);
    const first = rows[0]!;
    expect(first.kind === 'user' && first.text).to.equal('Please fix the failing test in src/math.ts');
    // token_count is usage bookkeeping, tool results join their calls: neither makes a row
    expect(rows.some((r) => r.kind === 'event' && r.text.includes('token'))).to.equal(false);
    const last = rows[rows.length - 1]!;
    expect(last.kind === 'event' && last.text).to.match(/remote/);
  });

  it('when Claude sends thinking and Markdown text in one message, then both are items of one agent row', () => {
    const row = rowsOf(CONVERSATION)[1]!;
    expect(row.kind).to.equal('agent');
    if (row.kind !== 'agent') return;
    expect(row.items.map((i) => i.type)).to.deep.equal(['reasoning', 'text']);
    expect(row.items[0]).to.deep.include({ text: 'The test expects add(2, 3) to be 5; the implementation subtracts.' });
  });

  it('when a tool result arrives in a later message, then it is joined to its call (with the error flag) and makes no row of its own', () => {
    const bash = tools(rowsOf(CONVERSATION)).find((t) => t.name === 'Bash')!;
    expect(bash.result?.isError).to.equal(true);
    expect(resultText(bash.result?.content)).to.include('expected 5, received -1');
    const p = presentTool(bash.name, bash.input, bash.result?.content, bash.description);
    expect(p.title).to.equal('Run the math tests');
    expect(p.view).to.deep.include({ kind: 'command', command: 'npm test -- math' });
  });

  it('when the agent edits a file, then the tool shows as a diff of the old and new text', () => {
    const edit = tools(rowsOf(CONVERSATION)).find((t) => t.name === 'Edit')!;
    const p = presentTool(edit.name, edit.input, edit.result?.content, null);
    expect(p).to.deep.include({ title: 'Edit file', subtitle: '/srv/alice/app/src/math.ts' });
    expect(p.view).to.deep.equal({ kind: 'edits', edits: [{ path: '/srv/alice/app/src/math.ts', oldText: EDIT_OLD, newText: EDIT_NEW }] });
  });

  it('when the agent writes todos, a plan, Codex plan steps and a Codex shell call, then each gets its own view', () => {
    const all = tools(rowsOf(CONVERSATION));
    const todo = presentTool('TodoWrite', all.find((t) => t.name === 'TodoWrite')!.input, null, null);
    expect(todo.subtitle).to.equal('1 of 3 done');
    expect(todo.view.kind === 'todos' && todo.view.todos.map((t) => t.status)).to.deep.equal(['completed', 'in_progress', 'pending']);
    const plan = presentTool('ExitPlanMode', all.find((t) => t.name === 'ExitPlanMode')!.input, null, null);
    expect(plan.view).to.deep.equal({ kind: 'plan', markdown: '1. Fix `add`\n2. Run **all** tests' });
    const steps = all.find((t) => t.name === 'update_plan')!;
    const sp = presentTool(steps.name, steps.input, null, null);
    expect(sp.subtitle).to.equal('1 of 2 steps done');
    const shell = all.find((t) => t.name === 'CodexBash')!;
    const sh = presentTool(shell.name, shell.input, shell.result?.content, null);
    // Codex's argv `bash -lc <script>` reads as the script
    expect(sh.view).to.deep.equal({ kind: 'command', command: 'grep -rn "add(" src', output: 'src/math.ts:1:export function add' });
  });

  it('when a plan is updated twice, then only its newest version is shown', () => {
    const update = (status: string) => ({ role: 'agent', content: { type: 'codex', data: { type: 'plan_update', plan: [{ step: 'A', status }] } } });
    const rows = rowsOf([update('pending'), update('completed')]);
    const plans = tools(rows).filter((t) => t.name === 'update_plan');
    expect(plans).to.have.length(1);
    expect((plans[0]!.input as { plan: Array<{ status: string }> }).plan[0]!.status).to.equal('completed');
  });

  it("when the session's agentState holds pending and completed requests, then tool calls carry that permission state", () => {
    const list = [CONVERSATION[2], CONVERSATION[4]];
    const state = { requests: { toolu_bash_1: { tool: 'Bash', arguments: {} } }, completedRequests: { toolu_edit_1: { tool: 'Edit', arguments: {}, status: 'approved', decision: 'approved_for_session' } } };
    const [bash, edit] = tools(rowsOf(list, state));
    expect(bash!.permission).to.deep.equal({ status: 'pending', decision: null, mode: null });
    expect(edit!.permission).to.deep.include({ status: 'approved', decision: 'approved_for_session' });
  });

  it('when a subagent (Task) reports with parentToolUseId, then its items nest under the Task call', () => {
    const task = { role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { content: [{ type: 'tool_use', id: 'toolu_task', name: 'Task', input: { description: 'Explore', prompt: 'Look around' } }] } } } };
    const child = { role: 'agent', content: { type: 'output', data: { type: 'assistant', isSidechain: true, parentToolUseId: 'toolu_task', message: { content: [{ type: 'text', text: 'found 3 files' }] } } } };
    const rows = rowsOf([task, child]);
    expect(rows).to.have.length(1);
    expect(tools(rows)[0]!.children).to.deep.equal([{ type: 'text', text: 'found 3 files' }]);
  });

  it('when a user message carries attachments, then they are read; malformed ones are dropped', () => {
    const m = normalizeMessage(stored({ role: 'user', content: { type: 'text', text: 'see file', attachments: [{ id: 'a1', filename: 'log.txt', mimeType: 'text/plain', size: 12, path: '/tmp/u/log.txt' }, { id: 'bad' }] } }, 0));
    expect(m?.attachments).to.deep.equal([{ id: 'a1', filename: 'log.txt', mimeType: 'text/plain', size: 12, path: '/tmp/u/log.txt' }]);
  });

  it('when content is a JSON string, not JSON, null or of an unknown shape, then nothing throws and unknown agent data is skipped', () => {
    expect(normalizeMessage(stored(JSON.stringify({ role: 'user', content: { type: 'text', text: 'hi' } }), 0))?.parts).to.deep.equal([{ type: 'text', text: 'hi' }]);
    expect(normalizeMessage(stored('plain words', 1))?.parts).to.deep.equal([{ type: 'text', text: 'plain words' }]);
    expect(normalizeMessage(stored(null, 2))?.role).to.equal('agent');
    expect(normalizeMessage(stored({ role: 'agent', content: { type: 'output', data: { type: 'system', subtype: 'init' } } }, 3))).to.equal(null);
    expect(normalizeMessage(stored({ role: 'agent', content: { type: 'codex', data: { type: 'agent-run-trace' } } }, 4))).to.equal(null);
    expect(normalizeMessage(stored({ role: 'mystery' }, 5))).to.equal(null);
  });

  it('when Codex sends a patch with a changes map, then each file becomes a unified diff', () => {
    const p = presentTool('CodexPatch', { changes: { 'src/a.ts': { type: 'update', unified_diff: '@@ -1 +1 @@\n-a\n+b' }, 'src/new.ts': { add: { content: 'x\ny' } } } }, null, null);
    expect(p.view).to.deep.equal({ kind: 'patch', files: [{ path: 'src/a.ts', unified: '@@ -1 +1 @@\n-a\n+b' }, { path: 'src/new.ts', unified: '@@ -0,0 +1,2 @@\n+x\n+y' }] });
  });
});
