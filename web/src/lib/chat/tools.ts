// How a tool call reads in the conversation: a title, a one-line subtitle, and what to show when it
// is expanded (a command and its output, a diff, todos, a plan, questions, or the raw input).
import { isRecord, planSteps, str, type PlanStep } from './normalize.js';

export interface Todo {
  content: string;
  status: 'pending' | 'in_progress' | 'completed';
}

export interface Question {
  question: string;
  header: string | null;
  multiSelect: boolean;
  options: Array<{ label: string; description: string | null }>;
}

export interface FileEdit {
  path: string;
  oldText: string;
  newText: string;
}

export type ToolView =
  | { kind: 'command'; command: string; output: string | null }
  | { kind: 'edits'; edits: FileEdit[] }
  | { kind: 'patch'; files: Array<{ path: string; unified: string }> }
  | { kind: 'file'; path: string; content: string }
  | { kind: 'todos'; todos: Todo[] }
  | { kind: 'plan'; markdown: string }
  | { kind: 'steps'; steps: PlanStep[] }
  | { kind: 'questions'; questions: Question[] }
  | { kind: 'generic'; input: string; output: string | null };

export interface ToolPresentation {
  title: string;
  subtitle: string | null;
  view: ToolView;
}

const MAX_TEXT = 20_000;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}\n… (${s.length - MAX_TEXT} more characters)` : s;
}

/** The readable text of a tool result: a string, Claude's `[{type:'text', text}]`, or `{stdout, stderr}`. */
export function resultText(content: unknown): string | null {
  if (content == null) return null;
  if (typeof content === 'string') return clip(content);
  if (Array.isArray(content)) {
    const texts = content.map((c) => (isRecord(c) && typeof c.text === 'string' ? c.text : typeof c === 'string' ? c : '')).filter(Boolean);
    if (texts.length) return clip(texts.join('\n'));
  }
  if (isRecord(content)) {
    const out = [str(content.stdout), str(content.stderr), str(content.output), str(content.content)].filter((s): s is string => !!s);
    if (out.length) return clip(out.join('\n'));
  }
  return clip(JSON.stringify(content, null, 2));
}

function jsonText(v: unknown): string {
  if (v === undefined) return '';
  return clip(typeof v === 'string' ? v : JSON.stringify(v, null, 2));
}

function commandOf(input: Record<string, unknown>): string | null {
  const c = input.command ?? input.cmd;
  if (typeof c === 'string') return c;
  if (Array.isArray(c) && c.every((x) => typeof x === 'string')) {
    // Codex sends argv, often `["bash", "-lc", "<script>"]`: the script is what a person reads.
    const argv = c as string[];
    if (argv.length === 3 && /(^|\/)(ba|z)?sh$/.test(argv[0]!) && argv[1] === '-lc') return argv[2]!;
    return argv.join(' ');
  }
  return null;
}

function todosOf(v: unknown): Todo[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isRecord).map((t) => ({
    content: str(t.content) ?? str(t.activeForm) ?? '',
    status: t.status === 'completed' || t.status === 'in_progress' ? t.status : 'pending',
  }));
}

export function questionsOf(v: unknown): Question[] {
  const list = isRecord(v) && Array.isArray(v.questions) ? v.questions : [];
  return list.filter(isRecord).map((q) => ({
    question: str(q.question) ?? '',
    header: str(q.header),
    multiSelect: q.multiSelect === true,
    options: (Array.isArray(q.options) ? q.options : []).filter(isRecord).map((o) => ({ label: str(o.label) ?? '', description: str(o.description) })),
  }));
}

/** Codex's `changes` map (`{path: {type|add|delete|update, unified_diff|content}}`) as per-file patches. */
function patchFiles(input: Record<string, unknown>): Array<{ path: string; unified: string }> {
  if (typeof input.unified_diff === 'string') return [{ path: str(input.path) ?? str(input.file_path) ?? 'changes', unified: input.unified_diff }];
  const changes = isRecord(input.changes) ? input.changes : null;
  if (!changes) return [];
  return Object.entries(changes).map(([path, change]) => {
    const c = isRecord(change) ? change : {};
    const nested = [c.update, c.add, c.delete].find(isRecord) as Record<string, unknown> | undefined;
    const unified = str(c.unified_diff) ?? str(nested?.unified_diff) ?? '';
    const content = str(c.content) ?? str(nested?.content);
    const added = c.type === 'add' || 'add' in c;
    if (!unified && content !== null) {
      const lines = content.split('\n').map((l) => (added ? `+${l}` : `-${l}`));
      return { path, unified: `@@ -0,0 +1,${lines.length} @@\n${lines.join('\n')}` };
    }
    return { path, unified };
  });
}

function base(path: string | null): string | null {
  return path ? (path.split('/').filter(Boolean).pop() ?? path) : null;
}

/** Title, subtitle and the expanded view of a tool call with its (possibly missing) result. */
export function presentTool(name: string, input: unknown, result: unknown, description: string | null): ToolPresentation {
  const inp = isRecord(input) ? input : {};
  const output = resultText(result);
  const path = str(inp.file_path) ?? str(inp.path) ?? str(inp.notebook_path);
  switch (name) {
    case 'Bash':
    case 'CodexBash':
    case 'shell':
    case 'exec_command':
    case 'local_shell':
    case 'run_shell_command': {
      const command = commandOf(inp) ?? '';
      return { title: description ?? 'Run command', subtitle: command.split('\n')[0] ?? null, view: { kind: 'command', command, output } };
    }
    case 'Edit':
      return { title: 'Edit file', subtitle: path, view: { kind: 'edits', edits: [{ path: path ?? '', oldText: str(inp.old_string) ?? '', newText: str(inp.new_string) ?? '' }] } };
    case 'MultiEdit': {
      const edits = (Array.isArray(inp.edits) ? inp.edits : []).filter(isRecord).map((e) => ({ path: path ?? '', oldText: str(e.old_string) ?? '', newText: str(e.new_string) ?? '' }));
      return { title: `Edit file (${edits.length} changes)`, subtitle: path, view: { kind: 'edits', edits } };
    }
    case 'Write':
      return { title: 'Write file', subtitle: path, view: { kind: 'edits', edits: [{ path: path ?? '', oldText: '', newText: str(inp.content) ?? '' }] } };
    case 'CodexPatch':
    case 'apply_patch':
    case 'CodexDiff': {
      const files = patchFiles(inp);
      return { title: name === 'CodexDiff' ? 'Changes' : 'Apply patch', subtitle: files.map((f) => base(f.path)).join(', ') || null, view: { kind: 'patch', files } };
    }
    case 'Read':
    case 'NotebookRead':
      return { title: 'Read file', subtitle: path, view: { kind: 'file', path: path ?? '', content: output ?? '' } };
    case 'Grep':
    case 'Glob':
    case 'LS':
      return { title: name === 'LS' ? 'List folder' : 'Search', subtitle: str(inp.pattern) ?? path, view: { kind: 'generic', input: jsonText(input), output } };
    case 'WebFetch':
    case 'WebSearch':
      return { title: name === 'WebFetch' ? 'Fetch page' : 'Web search', subtitle: str(inp.url) ?? str(inp.query), view: { kind: 'generic', input: jsonText(input), output } };
    case 'TodoWrite': {
      const todos = todosOf(inp.todos);
      const done = todos.filter((t) => t.status === 'completed').length;
      return { title: 'Todo list', subtitle: `${done} of ${todos.length} done`, view: { kind: 'todos', todos } };
    }
    case 'ExitPlanMode':
    case 'exit_plan_mode':
      return { title: 'Plan', subtitle: 'The agent proposes a plan', view: { kind: 'plan', markdown: str(inp.plan) ?? '' } };
    case 'update_plan': {
      const steps = planSteps(inp.plan);
      const done = steps.filter((s) => s.status === 'completed').length;
      return { title: 'Plan', subtitle: `${done} of ${steps.length} steps done`, view: { kind: 'steps', steps } };
    }
    case 'AskUserQuestion':
    case 'request_user_input': {
      const questions = questionsOf(inp);
      return { title: 'Question', subtitle: questions[0]?.question ?? null, view: { kind: 'questions', questions } };
    }
    case 'Task':
    case 'Agent':
      return { title: description ?? 'Subagent task', subtitle: str(inp.subagent_type), view: { kind: 'generic', input: str(inp.prompt) ?? jsonText(input), output } };
    default:
      return { title: name, subtitle: description ?? path ?? commandOf(inp), view: { kind: 'generic', input: jsonText(input), output } };
  }
}
