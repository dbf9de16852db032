import { expect } from 'chai';
import { z } from 'zod';
import { rpcMethod } from '../hapi-rpc-methods.js';
import type { SessionOptions, World } from '../world.js';
import { denied, inactive } from './sessions.js';
import type { ErrorCase, RouteSpec } from './types.js';

/*
 * What a running session offers (hub/src/web/routes/sessions.ts, second half), relayed to its CLI.
 * The model and effort lists need the matching flavor (400 `{success:false, error}` otherwise) and
 * an active session (409 session_inactive); an RPC failure is 500 `{success:false, error}`.
 */

const FLAVOR_SESSIONS: Record<string, SessionOptions> = {
  codex: { flavor: 'codex' },
  opencode: { flavor: 'opencode', metadata: { opencodeSessionId: 'oc-native-1' } },
  grok: { flavor: 'grok' },
  copilot: { flavor: 'copilot' },
  cursor: { flavor: 'cursor', metadata: { cursorSessionId: 'cursor-chat-1', homeDir: '/srv/surface/home' } },
  pi: { flavor: 'pi' },
};

function catalog(opts: { path: string; flavor: string; method: string; notFlavorError: string; summary: string }): RouteSpec {
  const session = (w: World) => w.session(opts.flavor, FLAVOR_SESSIONS[opts.flavor]);
  const wrong: ErrorCase = { status: 400, body: { success: false, error: opts.notFlavorError }, when: 'a session of another flavor', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) };
  return {
    method: 'GET',
    path: opts.path,
    module: 'sessions',
    plane: 'web',
    summary: opts.summary,
    call: async (w) => ({ params: { id: (await session(w)).id } }),
    ok: { status: 200, schema: rpcMethod('session', opts.method).ackSchema },
    relay: { scope: 'session', method: opts.method, target: async (w) => (await session(w)).standIn!, params: () => ({}) },
    errors: [wrong, inactive()],
    foreign: denied,
  };
}

export const CATALOG_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/sessions/:id/slash-commands',
    module: 'sessions',
    plane: 'web',
    summary: 'Slash commands for the composer: the CLI\'s list merged with metadata.slashCommands (as builtin), by name',
    call: async (w) => ({ params: { id: (await w.session('slash', { metadata: { slashCommands: ['compact'] } })).id } }),
    ok: {
      status: 200,
      schema: z.object({ success: z.literal(true), commands: z.array(z.object({ name: z.string(), description: z.string().optional(), source: z.string() }).passthrough()) }),
      check: (body) => expect(body.commands).to.deep.equal([{ name: 'compact', source: 'builtin' }, { name: 'review', description: 'Review the diff', source: 'project' }]),
    },
    relay: { scope: 'session', method: 'listSlashCommands', target: async (w) => (await w.session('slash')).standIn!, params: () => ({ agent: 'claude' }) },
    errors: [
      {
        status: 200,
        body: { success: true, commands: [{ name: 'compact', source: 'builtin' }] },
        when: 'no CLI answers but metadata lists commands',
        call: async (w) => ({ params: { id: (await w.session('slash-offline', { live: false, metadata: { slashCommands: ['compact'] } })).id } }),
      },
      {
        status: 200,
        body: z.object({ success: z.literal(false), error: z.string() }),
        when: 'no CLI answers and metadata lists none',
        call: async (w) => ({ params: { id: (await w.session('idle', { live: false })).id } }),
      },
    ],
    foreign: denied,
    notes: ['Not gated on the session being active; always 200.'],
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/skills',
    module: 'sessions',
    plane: 'web',
    summary: 'Skills the agent can use in this session',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 200, schema: rpcMethod('session', 'listSkills').ackSchema },
    relay: { scope: 'session', method: 'listSkills', target: async (w) => (await w.session('claude')).standIn!, params: () => ({ flavor: 'claude' }) },
    errors: [{ status: 200, body: z.object({ success: z.literal(false), error: z.string() }), when: 'no CLI answers', call: async (w) => ({ params: { id: (await w.session('idle', { live: false })).id } }) }],
    foreign: denied,
  },
  catalog({ path: '/api/sessions/:id/codex-models', flavor: 'codex', method: 'listCodexModels', notFlavorError: 'Codex models are only available for Codex sessions', summary: 'Codex models (with reasoning efforts and service tiers)' }),
  catalog({ path: '/api/sessions/:id/opencode-models', flavor: 'opencode', method: 'listOpencodeModels', notFlavorError: 'OpenCode models are only available for OpenCode sessions', summary: 'OpenCode models of this session' }),
  catalog({ path: '/api/sessions/:id/opencode-reasoning-effort-options', flavor: 'opencode', method: 'listOpencodeReasoningEffortOptions', notFlavorError: 'OpenCode reasoning effort options are only available for OpenCode sessions', summary: 'OpenCode reasoning effort options for the current model' }),
  catalog({ path: '/api/sessions/:id/grok-models', flavor: 'grok', method: 'listGrokModels', notFlavorError: 'Grok models are only available for Grok sessions', summary: 'Grok models of this session' }),
  catalog({ path: '/api/sessions/:id/grok-reasoning-effort-options', flavor: 'grok', method: 'listGrokReasoningEffortOptions', notFlavorError: 'Grok effort options are only available for Grok sessions', summary: 'Grok effort options' }),
  catalog({ path: '/api/sessions/:id/copilot-models', flavor: 'copilot', method: 'listCopilotModels', notFlavorError: 'Copilot models are only available for Copilot sessions', summary: 'Copilot models of this session' }),
  catalog({ path: '/api/sessions/:id/cursor-models', flavor: 'cursor', method: 'listCursorModels', notFlavorError: 'Cursor models are only available for Cursor sessions', summary: 'Cursor models of this session' }),
  catalog({ path: '/api/sessions/:id/pi-models', flavor: 'pi', method: 'listPiModels', notFlavorError: 'Not a Pi session', summary: 'Pi models of this session' }),
];
