// Messages as the hapi CLI posts them on its socket (`message` event: `{role, content, meta}`), one
// of each content type the page renders: Claude's assistant output (thinking, Markdown text with
// code, tool calls) and tool results, Codex's items, and events. Shared by the unit tests and the
// browser test that posts them through a stand-in CLI.

const claude = (content: unknown[], extra: Record<string, unknown> = {}) => ({
  role: 'agent',
  content: { type: 'output', data: { type: 'assistant', uuid: `u-${Math.random()}`, message: { role: 'assistant', model: 'claude-sonnet', content }, ...extra } },
  meta: { sentFrom: 'cli' },
});
const toolResult = (toolUseId: string, content: unknown, isError = false) => ({
  role: 'agent',
  content: { type: 'output', data: { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content, is_error: isError }] } } },
  meta: { sentFrom: 'cli' },
});
const codex = (data: Record<string, unknown>) => ({ role: 'agent', content: { type: 'codex', data }, meta: { sentFrom: 'cli' } });

export const MARKDOWN_TEXT = [
  '## Plan for the fix',
  '',
  'The test fails because `add()` **subtracts**. I will change it:',
  '',
  '```ts',
  'export function add(a: number, b: number): number {',
  '  return a + b;',
  '}',
  '```',
  '',
  '- [x] read the failing test',
  '- [ ] fix `add`',
  '',
  '| file | change |',
  '| --- | --- |',
  '| src/math.ts | fix |',
  '',
  'See [the docs](https://example.com/docs), not [this](javascript:alert(1)).',
  '<img src=x onerror="window.__pwned=1"> stays text.',
].join('\n');

export const EDIT_OLD = 'export function add(a: number, b: number): number {\n  return a - b;\n}\n';
export const EDIT_NEW = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';

/** In posting order. */
export const CONVERSATION = [
  { role: 'user', content: { type: 'text', text: 'Please fix the failing test in src/math.ts' }, meta: { sentFrom: 'cli' } },
  claude([
    { type: 'thinking', thinking: 'The test expects add(2, 3) to be 5; the implementation subtracts.' },
    { type: 'text', text: MARKDOWN_TEXT },
  ]),
  claude([{ type: 'tool_use', id: 'toolu_bash_1', name: 'Bash', input: { command: 'npm test -- math', description: 'Run the math tests' } }]),
  toolResult('toolu_bash_1', [{ type: 'text', text: 'FAIL src/math.test.ts\n  expected 5, received -1' }], true),
  claude([{ type: 'tool_use', id: 'toolu_edit_1', name: 'Edit', input: { file_path: '/srv/alice/app/src/math.ts', old_string: EDIT_OLD, new_string: EDIT_NEW } }]),
  toolResult('toolu_edit_1', 'The file /srv/alice/app/src/math.ts has been updated.'),
  claude([
    {
      type: 'tool_use',
      id: 'toolu_todo_1',
      name: 'TodoWrite',
      input: {
        todos: [
          { content: 'Read the failing test', status: 'completed', activeForm: 'Reading' },
          { content: 'Fix add()', status: 'in_progress', activeForm: 'Fixing' },
          { content: 'Run the whole suite', status: 'pending', activeForm: 'Running' },
        ],
      },
    },
  ]),
  claude([{ type: 'tool_use', id: 'toolu_plan_1', name: 'ExitPlanMode', input: { plan: '1. Fix `add`\n2. Run **all** tests' } }]),
  codex({ type: 'reasoning', message: 'Checking whether other callers rely on the old behaviour.' }),
  codex({ type: 'tool-call', callId: 'call_shell_1', name: 'CodexBash', input: { command: ['bash', '-lc', 'grep -rn "add(" src'] }, id: 'i1' }),
  codex({ type: 'tool-call-result', callId: 'call_shell_1', output: { stdout: 'src/math.ts:1:export function add', exit_code: 0 }, id: 'i2' }),
  codex({ type: 'plan_update', plan: [{ step: 'Fix add', status: 'completed' }, { step: 'Update the changelog', status: 'in_progress' }] }),
  codex({ type: 'message', message: 'Done: `add` adds again and all 12 tests pass.' }),
  { role: 'agent', content: { type: 'event', data: { type: 'switch', mode: 'remote' } }, meta: { sentFrom: 'cli' } },
  codex({ type: 'token_count', info: { total: { input_tokens: 10, output_tokens: 5 } } }),
];

/** A pending Bash permission request and a question, as the CLI writes them with `update-state`. */
export const PENDING_REQUESTS = {
  'req-bash': { tool: 'Bash', arguments: { command: 'rm -rf dist && npm run build' }, createdAt: 1 },
  'req-question': {
    tool: 'AskUserQuestion',
    arguments: {
      questions: [
        { question: 'Which changelog format?', header: 'Changelog', multiSelect: false, options: [{ label: 'Keep a Changelog', description: 'sections per release' }, { label: 'Plain list' }] },
      ],
    },
    createdAt: 2,
  },
};
