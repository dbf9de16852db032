import { useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { presentTool, questionsOf, type Question } from '../lib/chat/tools.js';
import { answersBody, denyBody, permissionActions, QUESTION_TOOLS } from '../lib/permission-options.js';
import { pendingRequests } from '../lib/session-view.js';
import type { PermissionRequest, Session } from '../lib/types.js';
import { uuid } from '../lib/uuid.js';
import { ToolBody } from './chat/tool-card.js';

function argsText(args: unknown): string {
  if (args == null) return '';
  const text = typeof args === 'string' ? args : JSON.stringify(args, null, 2);
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

/** What the agent wants to do, as the conversation shows it (a command, a diff, a plan). */
function RequestDetails({ req }: { req: PermissionRequest }) {
  const tool = req.tool ?? 'unknown';
  const p = presentTool(tool, req.arguments, null, null);
  const args = req.arguments as { command?: unknown } | undefined;
  return (
    <>
      {p.subtitle && tool !== 'Bash' && <p class="perm-sub">{p.subtitle}</p>}
      {/* The raw arguments stay readable (and are what a screen reader finds by this label). */}
      <pre class="perm-args" tabIndex={0} aria-label={`Arguments for ${tool}`}>
        {tool === 'Bash' && typeof args?.command === 'string' ? args.command : argsText(req.arguments)}
      </pre>
      {(p.view.kind === 'edits' || p.view.kind === 'patch' || p.view.kind === 'plan') && (
        <div class="perm-view">
          <ToolBody view={p.view} name={tool} />
        </div>
      )}
    </>
  );
}

function QuestionForm({ questions, busy, onSubmit }: { questions: Question[]; busy: boolean; onSubmit: (answers: Record<string, string[]>) => void }) {
  const [selected, setSelected] = useState<string[][]>(questions.map(() => []));
  const [other, setOther] = useState<string[]>(questions.map(() => ''));
  const [error, setError] = useState<string | null>(null);
  const toggle = (qi: number, label: string, multi: boolean) =>
    setSelected((cur) => cur.map((s, i) => (i !== qi ? s : multi ? (s.includes(label) ? s.filter((x) => x !== label) : [...s, label]) : [label])));
  const submit = (e: Event) => {
    e.preventDefault();
    const missing = questions.findIndex((_, i) => !selected[i]?.length && !other[i]?.trim());
    if (missing >= 0) return setError(`Choose an answer for question ${missing + 1}, or type one.`);
    setError(null);
    onSubmit(answersBody(selected, other));
  };
  return (
    <form class="questions-form" onSubmit={submit}>
      {questions.map((q, qi) => (
        <fieldset key={qi} class="question">
          <legend>{q.header ? `${q.header}: ` : ''}{q.question}</legend>
          {q.options.map((o, oi) => (
            <label key={oi} class="choice">
              <input type={q.multiSelect ? 'checkbox' : 'radio'} name={`q${qi}`} checked={selected[qi]?.includes(o.label)} onChange={() => toggle(qi, o.label, q.multiSelect)} />
              <span>
                {o.label}
                {o.description && <span class="choice-desc"> {o.description}</span>}
              </span>
            </label>
          ))}
          <label class="other-label" for={`q${qi}-other`}>Other answer (optional)</label>
          <input id={`q${qi}-other`} value={other[qi]} onInput={(e) => setOther((cur) => cur.map((v, i) => (i === qi ? (e.currentTarget as HTMLInputElement).value : v)))} />
        </fieldset>
      ))}
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" class="btn btn-primary" disabled={busy}>
        Submit answers
      </button>
    </form>
  );
}

/** The agent's pending permission requests with HAPI's options, and questions with their choices. */
export function Permissions({ session }: { session: Session }) {
  const { api } = useHub();
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [denying, setDenying] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const requests = pendingRequests(session);
  if (requests.length === 0) return null;
  const flavor = session.metadata?.flavor;

  const act = async (rid: string, label: string, done: string, fn: () => Promise<unknown>) => {
    setBusy((b) => ({ ...b, [rid]: label }));
    setError(null);
    try {
      await fn();
      setBusy((b) => ({ ...b, [rid]: done }));
      return true;
    } catch (err) {
      setBusy((b) => {
        const { [rid]: _, ...rest } = b;
        return rest;
      });
      setError(errorText(err));
      return false;
    }
  };

  // HAPI's deny carries no reason: the reason goes to the agent as the next message, as a person
  // would type it after saying no in the terminal.
  const deny = async (rid: string) => {
    const why = reason.trim();
    const ok = await act(rid, 'Denying…', 'Denied', () => api.deny(session.id, rid, denyBody(flavor)));
    if (ok && why) await api.sendMessage(session.id, { text: why, localId: uuid() }).catch((err: unknown) => setError(errorText(err)));
    setDenying(null);
    setReason('');
  };

  return (
    <section class="permissions" aria-labelledby="perm-title">
      <h2 id="perm-title">
        {requests.length === 1 ? 'The agent asks for permission' : `The agent asks for ${requests.length} permissions`}
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="plain">
        {requests.map(([rid, req]) => {
          const tool = req.tool ?? 'unknown';
          const question = QUESTION_TOOLS.has(tool);
          return (
            <li key={rid} class="perm" data-request-id={rid}>
              <p class="perm-tool">
                {question ? 'Question from the agent' : <>Tool: <strong>{tool}</strong></>}
              </p>
              {!question && <RequestDetails req={req} />}
              {busy[rid] ? (
                <p class="muted" role="status">
                  {busy[rid]}
                </p>
              ) : question ? (
                <QuestionForm questions={questionsOf(req.arguments)} busy={!!busy[rid]} onSubmit={(answers) => void act(rid, 'Sending answers…', 'Answered', () => api.approve(session.id, rid, { answers }))} />
              ) : denying === rid ? (
                <form class="deny-form" onSubmit={(e) => (e.preventDefault(), void deny(rid))}>
                  <label for={`deny-${rid}`}>Why not? (optional, sent to the agent)</label>
                  <textarea id={`deny-${rid}`} rows={2} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
                  <div class="row">
                    <button type="submit" class="btn btn-danger">
                      Deny<span class="sr-only"> {tool}</span>
                    </button>
                    <button type="button" class="btn btn-quiet" onClick={() => setDenying(null)}>
                      Back
                    </button>
                  </div>
                </form>
              ) : (
                <div class="row">
                  {permissionActions(flavor, tool, req.arguments).map((a) => (
                    <button
                      key={a.id}
                      type="button"
                      class={a.id === 'approve' ? 'btn btn-primary' : a.id === 'abort' ? 'btn btn-danger' : 'btn btn-secondary'}
                      onClick={() => void act(rid, 'Sending…', a.id === 'abort' ? 'Aborted' : 'Approved', () => ('deny' in a ? api.deny(session.id, rid, a.body) : api.approve(session.id, rid, a.body)))}
                    >
                      {a.label}
                      <span class="sr-only"> {tool}</span>
                    </button>
                  ))}
                  <button type="button" class="btn btn-danger" onClick={() => (setDenying(rid), setReason(''))}>
                    Deny<span class="sr-only"> {tool}</span>
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
