import type { FastifyInstance } from 'fastify';
import { requireActive, requireWebSession } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';
import { flavorOf, metadataOf } from './session-metadata.js';
import { callSession, rpcFailureText, RPC_TIMEOUT } from './session-rpc.js';

type IdParams = { Params: { id: string } };
type Command = { name: string; [k: string]: unknown };

/** One model or effort list of a running session: the flavor it needs, the CLI method, HAPI's texts. */
interface Catalog {
  path: string;
  flavor: string;
  method: string;
  wrongFlavor: string;
  failed: string;
  timeoutMs: number;
}

const CATALOGS: Catalog[] = [
  { path: 'codex-models', flavor: 'codex', method: 'listCodexModels', wrongFlavor: 'Codex models are only available for Codex sessions', failed: 'Failed to list Codex models', timeoutMs: RPC_TIMEOUT.modelList },
  { path: 'opencode-models', flavor: 'opencode', method: 'listOpencodeModels', wrongFlavor: 'OpenCode models are only available for OpenCode sessions', failed: 'Failed to list OpenCode models', timeoutMs: RPC_TIMEOUT.default },
  {
    path: 'opencode-reasoning-effort-options',
    flavor: 'opencode',
    method: 'listOpencodeReasoningEffortOptions',
    wrongFlavor: 'OpenCode reasoning effort options are only available for OpenCode sessions',
    failed: 'Failed to list OpenCode reasoning effort options',
    timeoutMs: RPC_TIMEOUT.default,
  },
  { path: 'grok-models', flavor: 'grok', method: 'listGrokModels', wrongFlavor: 'Grok models are only available for Grok sessions', failed: 'Failed to list Grok models', timeoutMs: RPC_TIMEOUT.default },
  {
    path: 'grok-reasoning-effort-options',
    flavor: 'grok',
    method: 'listGrokReasoningEffortOptions',
    wrongFlavor: 'Grok effort options are only available for Grok sessions',
    failed: 'Failed to list Grok effort options',
    timeoutMs: RPC_TIMEOUT.default,
  },
  { path: 'copilot-models', flavor: 'copilot', method: 'listCopilotModels', wrongFlavor: 'Copilot models are only available for Copilot sessions', failed: 'Failed to list Copilot models', timeoutMs: RPC_TIMEOUT.modelList },
  { path: 'cursor-models', flavor: 'cursor', method: 'listCursorModels', wrongFlavor: 'Cursor models are only available for Cursor sessions', failed: 'Failed to list Cursor models', timeoutMs: RPC_TIMEOUT.modelList },
  { path: 'pi-models', flavor: 'pi', method: 'listPiModels', wrongFlavor: 'Not a Pi session', failed: 'Internal error', timeoutMs: RPC_TIMEOUT.modelList },
];

/** `metadata.slashCommands` names, as HAPI lists them: builtin commands. */
function metadataCommands(names: unknown): Command[] {
  if (!Array.isArray(names)) return [];
  return names.filter((n): n is string => typeof n === 'string' && n.trim().length > 0).map((name) => ({ name, source: 'builtin' }));
}

/** By name; the CLI's entry wins over the metadata's, metadata names first. */
function mergeCommands(primary: Command[], fallback: Command[]): Command[] {
  const byName = new Map<string, Command>();
  for (const c of [...fallback, ...primary]) byName.set(c.name, c);
  return [...byName.values()];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What a session offers, asked of its CLI: slash commands (merged with those its metadata lists,
 * answered from metadata when no CLI answers), skills, and each agent's model and effort lists
 * (the matching agent and a live CLI needed; an RPC failure is 500 `{success:false, error}`).
 */
export function registerSessionCatalogRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  app.get<IdParams>('/api/sessions/:id/slash-commands', async (request) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    const fromMetadata = metadataCommands(metadataOf(session)?.slashCommands);
    try {
      const result = await callSession(deps.live, ctx, session.id, 'listSlashCommands', { agent: flavorOf(session) });
      if (isObject(result) && result.success && Array.isArray(result.commands)) {
        const commands = (result.commands as unknown[]).filter((c): c is Command => isObject(c) && typeof c.name === 'string');
        return { ...result, commands: mergeCommands(commands, fromMetadata) };
      }
      if (fromMetadata.length > 0) return { success: true, commands: fromMetadata };
      return result;
    } catch (err) {
      if (fromMetadata.length > 0) return { success: true, commands: fromMetadata };
      return { success: false, error: rpcFailureText(err, session.id, 'listSlashCommands') };
    }
  });

  app.get<IdParams>('/api/sessions/:id/skills', async (request) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    try {
      return await callSession(deps.live, ctx, session.id, 'listSkills', { flavor: flavorOf(session) });
    } catch (err) {
      return { success: false, error: rpcFailureText(err, session.id, 'listSkills') };
    }
  });

  for (const c of CATALOGS) {
    app.get<IdParams>(`/api/sessions/:id/${c.path}`, async (request, reply) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      requireActive(session);
      if (flavorOf(session) !== c.flavor) return reply.code(400).send({ success: false, error: c.wrongFlavor });
      try {
        return await callSession(deps.live, ctx, session.id, c.method, {}, c.timeoutMs);
      } catch (err) {
        return reply.code(500).send({ success: false, error: rpcFailureText(err, session.id, c.method) || c.failed });
      }
    });
  }
}
