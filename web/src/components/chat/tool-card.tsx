import type { AgentItem, ToolCall } from '../../lib/chat/conversation.js';
import { presentTool, type Todo, type ToolView } from '../../lib/chat/tools.js';
import type { PlanStep } from '../../lib/chat/normalize.js';
import { languageForPath } from '../../lib/languages.js';
import { CodeBlock } from './code-block.js';
import { DiffView } from './diff-view.js';
import { Markdown } from './markdown.js';

type Status = 'running' | 'done' | 'error' | 'waiting' | 'denied' | 'approved';

const STATUS_TEXT: Record<Status, string> = {
  running: 'Running',
  done: 'Done',
  error: 'Failed',
  waiting: 'Waiting for approval',
  denied: 'Denied',
  approved: 'Approved',
};

const LIVING = new Set(['TodoWrite', 'update_plan', 'ExitPlanMode', 'exit_plan_mode']);

function statusOf(tool: ToolCall): Status {
  if (tool.permission?.status === 'pending') return 'waiting';
  if (tool.permission?.status === 'denied' || tool.permission?.status === 'canceled') return 'denied';
  if (tool.result) return tool.result.isError ? 'error' : 'done';
  return tool.permission?.status === 'approved' ? 'approved' : 'running';
}

function Output({ text, label }: { text: string | null; label: string }) {
  if (text === null) return null;
  if (!text.trim()) return <p class="muted tool-empty">(no output)</p>;
  return (
    <pre class="tool-out" tabIndex={0} aria-label={label}>
      {text}
    </pre>
  );
}

export function TodoList({ todos }: { todos: Todo[] }) {
  return (
    <ul class="todos">
      {todos.map((t, i) => (
        <li key={i} class={`todo todo-${t.status}`}>
          <span class="todo-mark" aria-hidden="true">{t.status === 'completed' ? '✓' : t.status === 'in_progress' ? '▸' : '○'}</span>
          <span class="sr-only">{t.status === 'completed' ? 'done: ' : t.status === 'in_progress' ? 'in progress: ' : 'to do: '}</span>
          {t.content}
        </li>
      ))}
    </ul>
  );
}

export function PlanSteps({ steps }: { steps: PlanStep[] }) {
  return <TodoList todos={steps.map((s) => ({ content: s.step, status: s.status }))} />;
}

export function ToolBody({ view, name }: { view: ToolView; name: string }) {
  switch (view.kind) {
    case 'command':
      return (
        <>
          <CodeBlock code={view.command} lang="bash" />
          <Output text={view.output} label={`Output of ${name}`} />
        </>
      );
    case 'edits':
      return <>{view.edits.map((e, i) => <DiffView key={i} source={{ kind: 'edit', path: e.path, oldText: e.oldText, newText: e.newText }} />)}</>;
    case 'patch':
      return <>{view.files.map((f, i) => <DiffView key={i} source={{ kind: 'unified', path: f.path, text: f.unified }} />)}</>;
    case 'file':
      return view.content ? <CodeBlock code={view.content} lang={languageForPath(view.path)} /> : <p class="muted tool-empty">Not read yet.</p>;
    case 'todos':
      return <TodoList todos={view.todos} />;
    case 'plan':
      return <Markdown text={view.markdown} />;
    case 'steps':
      return <PlanSteps steps={view.steps} />;
    case 'questions':
      return (
        <ul class="plain questions">
          {view.questions.map((q, i) => (
            <li key={i}>
              <p class="q-text">{q.question}</p>
              <ul>{q.options.map((o, j) => <li key={j}>{o.label}{o.description ? ` — ${o.description}` : ''}</li>)}</ul>
            </li>
          ))}
        </ul>
      );
    case 'generic':
      return (
        <>
          {view.input && (
            <pre class="tool-in" tabIndex={0} aria-label={`Input of ${name}`}>
              {view.input}
            </pre>
          )}
          <Output text={view.output} label={`Output of ${name}`} />
        </>
      );
  }
}

/** A tool call, collapsed to one line (what, on what, how it went); a tap shows input and result. */
export function ToolCard({ tool }: { tool: ToolCall }) {
  const p = presentTool(tool.name, tool.input, tool.result?.content, tool.description);
  const status = statusOf(tool);
  return (
    <details class={`tool tool-${status}`} data-tool={tool.name}>
      <summary>
        <span class="tool-title">{p.title}</span>
        {p.subtitle && <span class="tool-sub">{p.subtitle}</span>}
        {/* A todo list or plan has no "running": it is a state, shown by its own counts. */}
        {!(status === 'running' && LIVING.has(tool.name)) && <span class={`tool-status st-${status}`}>{STATUS_TEXT[status]}</span>}
      </summary>
      <div class="tool-body">
        <ToolBody view={p.view} name={tool.name} />
        {tool.children.length > 0 && (
          <div class="subagent" aria-label="What the subagent did">
            <AgentItems items={tool.children} />
          </div>
        )}
      </div>
    </details>
  );
}

export function AgentItems({ items }: { items: AgentItem[] }) {
  return (
    <>
      {items.map((it, i) => {
        if (it.type === 'text') return <Markdown key={i} text={it.text} />;
        if (it.type === 'summary') return <p key={i} class="summary-note">{it.text}</p>;
        if (it.type === 'reasoning') {
          return (
            <details key={i} class="thinking">
              <summary>Thinking</summary>
              <Markdown text={it.text} />
            </details>
          );
        }
        return <ToolCard key={it.tool.id + i} tool={it.tool} />;
      })}
    </>
  );
}
