// The answers HAPI's web app offers for an agent's permission request, by agent: Claude gets
// allow once / allow all edits (for edit tools) / allow for session / deny; Codex and the other
// agents get HAPI's decisions (approved, approved_for_session, abort, denied). Questions the agent
// asks (AskUserQuestion, request_user_input) are answered with `answers`, keyed by question.
import { isRecord, str } from './chat/normalize.js';

export type PermissionAction =
  | { id: 'approve'; label: string; body: Record<string, unknown> }
  | { id: 'approve-edits'; label: string; body: Record<string, unknown> }
  | { id: 'approve-session'; label: string; body: Record<string, unknown> }
  | { id: 'abort'; label: string; deny: true; body: Record<string, unknown> };

const EDIT_TOOLS = new Set(['Edit', 'MultiEdit', 'Write', 'NotebookEdit']);
export const QUESTION_TOOLS = new Set(['AskUserQuestion', 'request_user_input']);

export function isClaudeFlavor(flavor: unknown): boolean {
  return flavor == null || flavor === 'claude';
}

/** The approve-side actions for a request (Deny, with an optional reason, is always offered too). */
export function permissionActions(flavor: unknown, tool: string, args: unknown): PermissionAction[] {
  if (isClaudeFlavor(flavor)) {
    const actions: PermissionAction[] = [{ id: 'approve', label: 'Approve', body: {} }];
    if (EDIT_TOOLS.has(tool)) actions.push({ id: 'approve-edits', label: 'Approve all edits', body: { mode: 'acceptEdits' } });
    // For a shell command HAPI allows that exact command for the session, not every command.
    const command = tool === 'Bash' && isRecord(args) ? str(args.command) : null;
    actions.push({ id: 'approve-session', label: 'Approve for session', body: { allowTools: [command ? `Bash(${command})` : tool] } });
    return actions;
  }
  return [
    { id: 'approve', label: 'Approve', body: { decision: 'approved' } },
    { id: 'approve-session', label: 'Approve for session', body: { decision: 'approved_for_session' } },
    { id: 'abort', label: 'Abort', deny: true, body: { decision: 'abort' } },
  ];
}

/** The deny body: Claude's plain deny, or HAPI's `denied` decision for the others. */
export function denyBody(flavor: unknown): Record<string, unknown> {
  return isClaudeFlavor(flavor) ? {} : { decision: 'denied' };
}

/** `answers` for HAPI: each question's index → the chosen labels (plus any typed answer). */
export function answersBody(selected: string[][], other: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  selected.forEach((labels, i) => {
    const typed = other[i]?.trim();
    out[String(i)] = typed ? [...labels, typed] : labels;
  });
  return out;
}
