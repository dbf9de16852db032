import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import { fromJsonText } from '../../lib/json.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { GatewayDeps } from '../deps.js';
import type { LiveHandle } from '../live/index.js';
import { requireWebSession } from './api-sessions-guard.js';
import type { SpawnAnswer, SpawnOptions } from './api-machines.js';

/** What the resume routes borrow from the machine routes (passed in, so there is no import cycle). */
export interface ResumeTools {
  spawnOnMachine(deps: GatewayDeps, live: LiveHandle, ns: Namespace, machineId: string, opts: SpawnOptions): Promise<SpawnAnswer>;
  onlineMachines(deps: GatewayDeps, live: LiveHandle, ns: Namespace, requestId?: string): Promise<Machine[]>;
}

type Metadata = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The agent's own session id kept in HAPI metadata (`claudeSessionId`, `codexSessionId`, …). */
function agentSessionId(meta: Metadata, flavor: string): string | undefined {
  return str(meta[`${flavor}SessionId`]);
}

/** HAPI `resumeSession`'s machine choice: the session's machine if online, else one on the same host. */
export function pickMachine(online: Machine[], meta: Metadata): Machine | undefined {
  const machineId = str(meta.machineId);
  const byId = machineId ? online.find((m) => m.id === machineId) : undefined;
  if (byId) return byId;
  const host = str(meta.host);
  if (!host) return undefined;
  return online.find((m) => {
    const md = fromJsonText(m.metadataJson) as Metadata | null;
    return md !== null && typeof md === 'object' && md.host === host;
  });
}

const resumeError = (code: string, message: string, status: 'unavailable' | 'failed_precondition') =>
  new AppError(status, message, { details: { hapiCode: code } });

async function resume(deps: GatewayDeps, live: LiveHandle, tools: ResumeTools, request: FastifyRequest<{ Params: { id: string } }>): Promise<{ session: Session; answer: SpawnAnswer }> {
  const { ns: namespace, session } = await requireWebSession(request, deps, request.params.id);
  if (session.active) return { session, answer: { type: 'success', sessionId: session.id } };
  const meta = fromJsonText(session.metadataJson) as Metadata | null;
  const directory = meta && typeof meta === 'object' ? str(meta.path) : undefined;
  if (!meta || !directory) throw resumeError('resume_unavailable', 'Session metadata missing', 'failed_precondition');
  const machine = pickMachine(await tools.onlineMachines(deps, live, namespace, request.id), meta);
  if (!machine) throw resumeError('no_machine_online', 'No machine online', 'unavailable');
  const flavor = str(meta.flavor) ?? 'claude';
  const opts = {
    directory,
    agent: flavor as SpawnOptions['agent'],
    resumeSessionId: agentSessionId(meta, flavor),
    existingSessionId: session.id,
  };
  return { session, answer: await tools.spawnOnMachine(deps, live, namespace, machine.id, opts) };
}

/**
 * `POST /api/sessions/:id/resume|reopen` (reference §3.7 F): an inactive session is started again
 * on an online machine of the caller's namespace, with its own id (`existingSessionId`). None
 * online → 503 `{"error":"No machine online","code":"no_machine_online"}`. The spawn's answer is
 * returned like the spawn route's (HTTP 200); reopen answers HAPI's `{ok, sessionId, resumed}`
 * on success.
 */
export function registerSessionResumeRoutes(app: FastifyInstance, deps: GatewayDeps, live: LiveHandle, tools: ResumeTools): void {
  app.post('/api/sessions/:id/resume', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const { answer } = await resume(deps, live, tools, request);
    return answer;
  });

  app.post('/api/sessions/:id/reopen', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const { answer } = await resume(deps, live, tools, request);
    if (answer.type === 'success') return { ok: true, sessionId: answer.sessionId, resumed: true };
    return answer;
  });
}
