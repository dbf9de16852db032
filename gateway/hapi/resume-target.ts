/**
 * What `hapi resume` reads: HAPI's LocalResumeTarget (`GET /cli/sessions/:id/resume-target`) and
 * the rows of `GET /cli/sessions/resumable`, built from a stored session. A session can be
 * resumed locally when its metadata has a working directory and the agent's own session id.
 */
import type { Message, Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../lib/json.js';
import { AGENT_SESSION_ID_KEY, knownFlavor, type AgentFlavor } from './session-rules.js';
import { messageContent } from './session-view.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export type ResumeTargetResult =
  | { type: 'success'; target: Json & { sessionId: string; flavor: AgentFlavor; directory: string; agentSessionId: string } }
  | { type: 'error'; code: 'resume_unavailable'; message: string };

/** The agent's own session id recorded in metadata for the session's flavor (none for dsh). */
export function agentSessionIdOf(metadata: Json | null, flavor: AgentFlavor): string | undefined {
  const key = AGENT_SESSION_ID_KEY[flavor];
  return key && metadata ? text(metadata[key]) : undefined;
}

/** HAPI's resolveLocalResumeTarget for a session the caller may see. */
export function resumeTarget(s: Session): ResumeTargetResult {
  const md = fromJsonText(s.metadataJson);
  const metadata = isObject(md) ? md : null;
  const directory = metadata ? text(metadata.path) : undefined;
  if (!metadata || !directory) return { type: 'error', code: 'resume_unavailable', message: 'Session metadata missing path' };
  const flavor = knownFlavor(metadata.flavor);
  const agentSessionId = agentSessionIdOf(metadata, flavor);
  if (!agentSessionId) {
    return {
      type: 'error',
      code: 'resume_unavailable',
      message: 'Resume session ID unavailable. Start a new session in this directory, or retry after the agent has initialized.',
    };
  }
  const state = fromJsonText(s.agentStateJson);
  return {
    type: 'success',
    target: {
      sessionId: s.id,
      flavor,
      directory,
      machineId: text(metadata.machineId),
      host: text(metadata.host),
      active: s.active,
      thinking: s.thinking,
      controlledByUser: isObject(state) && state.controlledByUser === true,
      agentSessionId,
      model: s.model ?? null,
      effort: s.effort ?? null,
      modelReasoningEffort: s.modelReasoningEffort ?? null,
      permissionMode: s.permissionMode,
      collaborationMode: s.collaborationMode,
      copilotAgentMode: s.copilotAgentMode,
    },
  };
}

/** One row of `GET /cli/sessions/resumable`: the target plus what the picker shows. */
export function toResumableRow(s: Session, target: Json, firstUserMessage: string | undefined): Json {
  const md = fromJsonText(s.metadataJson);
  const metadata = isObject(md) ? md : {};
  const summary = isObject(metadata.summary) ? text(metadata.summary.text) : undefined;
  return { ...target, updatedAt: s.updatedAt, name: text(metadata.name), summary, firstUserMessage };
}

const normalize = (v: string): string | undefined => {
  const t = v.trim().replace(/\s+/g, ' ');
  return t.length > 0 ? t : undefined;
};

function userText(content: unknown): string | undefined {
  if (typeof content === 'string') return normalize(content);
  if (Array.isArray(content)) return normalize(content.map((b) => (isObject(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : '')).filter(Boolean).join(' '));
  if (isObject(content) && content.type === 'text' && typeof content.text === 'string') return normalize(content.text);
  return undefined;
}

/** The first user message's text among the given (oldest first), as the resume picker labels a session. */
export function firstUserMessageText(messages: readonly Message[]): string | undefined {
  for (const m of messages) {
    const c = messageContent(m);
    const record = isObject(c) && c.role === 'user' ? c : isObject(c) && isObject(c.message) && c.message.role === 'user' ? c.message : null;
    const t = record ? userText(record.content) : undefined;
    if (t) return t;
  }
  return undefined;
}
