import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { rpcMethod } from '../hapi-rpc-methods.js';
import { PROJECT_DIR, type World } from '../world.js';
import { denied, notFound } from './sessions.js';
import type { ErrorCase, RouteSpec } from './types.js';

/*
 * Reviewing what the agent did (hub/src/web/routes/git.ts), web plane, all relayed to the session's
 * CLI, which runs git / reads files inside its working directory. An RPC that fails (no CLI,
 * timeout, the CLI's own error) is answered 200 `{success:false, error:"<message>"}`, for example
 * `RPC handler not registered: <sessionId>:git-status`. A session without metadata.path answers
 * 200 `{success:false, error:"Session path not available"}` without RPC.
 */

const noPath = (query?: Record<string, string>): ErrorCase => ({
  status: 200,
  body: { success: false, error: 'Session path not available' },
  when: 'the session has no metadata.path',
  call: async (w) => ({ params: { id: (await w.session('no-path', { metadata: { path: undefined } })).id }, query }),
});
const noCli = (method: string, query?: Record<string, string>): ErrorCase => ({
  status: 200,
  body: z.object({ success: z.literal(false), error: z.string().regex(new RegExp(`^RPC handler not registered: [0-9a-f-]+:${method}$`)) }),
  when: 'no CLI registered the method',
  call: async (w) => ({ params: { id: (await w.session('idle', { live: false })).id }, query }),
});
const cliOf = async (w: World) => (await w.session('claude')).standIn!;
const ack = (method: string) => rpcMethod('session', method).ackSchema;

export const GIT_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/sessions/:id/git-status',
    module: 'git',
    plane: 'web',
    summary: '`git status --porcelain=v2 --branch --untracked-files=all` in the session directory',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 200, schema: ack('git-status') },
    relay: { scope: 'session', method: 'git-status', target: cliOf, params: () => ({ cwd: PROJECT_DIR }) },
    errors: [noPath(), noCli('git-status'), notFound()],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/git-diff-numstat',
    module: 'git',
    plane: 'web',
    summary: '`git diff [--cached] --numstat` (`staged=true|false`)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { staged: 'true' } }),
    ok: { status: 200, schema: ack('git-diff-numstat') },
    relay: { scope: 'session', method: 'git-diff-numstat', target: cliOf, params: () => ({ cwd: PROJECT_DIR, staged: true }) },
    errors: [noPath(), noCli('git-diff-numstat')],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/git-diff-file',
    module: 'git',
    plane: 'web',
    summary: 'The diff of one file (`path`, `staged`)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { path: 'README.md' } }),
    ok: { status: 200, schema: ack('git-diff-file') },
    relay: { scope: 'session', method: 'git-diff-file', target: cliOf, params: () => ({ cwd: PROJECT_DIR, filePath: 'README.md' }) },
    errors: [{ status: 400, body: { error: 'Invalid file path' }, when: 'path missing or empty', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) }, noPath({ path: 'a' })],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/file',
    module: 'git',
    plane: 'web',
    summary: 'A file\'s content (base64), size and mtime',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { path: 'README.md' } }),
    ok: { status: 200, schema: ack('readFile') },
    relay: { scope: 'session', method: 'readFile', target: cliOf, params: () => ({ path: 'README.md' }) },
    errors: [{ status: 400, body: { error: 'Invalid file path' }, when: 'path missing', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) }, noCli('readFile', { path: 'a' })],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/generated-images/:imageId',
    module: 'git',
    plane: 'web',
    summary: 'An image the agent generated, as raw bytes (ETag "<imageId>", cached immutable; `If-None-Match` → 304)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id, imageId: 'img-1' } }),
    ok: {
      status: 200,
      binary: true,
      schema: z.object({ contentType: z.literal('image/gif'), bytes: z.number().positive() }),
      check: (_b, _w, _c, res) => {
        expect(res.headers.get('etag')).to.equal('"img-1"');
        expect(res.headers.get('cache-control')).to.equal('private, max-age=31536000, immutable');
        expect(res.headers.get('content-disposition')).to.equal('inline; filename="image.gif"');
      },
    },
    relay: { scope: 'session', method: 'readGeneratedImage', target: cliOf, params: () => ({ id: 'img-1' }) },
    errors: [
      { status: 304, body: undefined, when: 'If-None-Match names the id', call: async (w) => ({ params: { id: (await w.session('claude')).id, imageId: 'img-1' }, headers: { 'if-none-match': '"img-1"' } }) },
      {
        status: 404,
        body: { success: false, error: 'Generated image not found' },
        when: 'the CLI has no such image',
        call: async (w) => {
          const s = await w.session('no-images');
          s.standIn!.onRpc('readGeneratedImage', () => ({ success: false, error: 'Generated image not found' }));
          return { params: { id: s.id, imageId: 'missing' } };
        },
      },
    ],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/files',
    module: 'git',
    plane: 'web',
    summary: 'File search: `rg --files [--iglob <query>]` in the session directory, then sizes via statFiles (`query`, `limit` ≤ 500, default 200)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: {
      status: 200,
      schema: z.object({
        success: z.literal(true),
        files: z.array(z.object({ fileName: z.string(), filePath: z.string(), fullPath: z.string(), fileType: z.literal('file'), size: z.number().optional(), modified: z.number().optional() })),
      }),
      check: async (body, w) => {
        expect(body.files.map((f: { fullPath: string }) => f.fullPath)).to.deep.equal(['src/index.ts', 'README.md']);
        expect(body.files[0]).to.include({ fileName: 'index.ts', filePath: 'src', size: 6 });
        const stat = await (await cliOf(w)).waitRpc('statFiles');
        expect(stat.params).to.deep.equal({ paths: ['src/index.ts', 'README.md'] });
      },
    },
    relay: { scope: 'session', method: 'ripgrep', target: cliOf, params: () => ({ args: ['--files'], cwd: PROJECT_DIR, fileSearch: { query: '', limit: 200 } }) },
    errors: [
      { status: 400, body: { error: 'Invalid query' }, when: 'limit outside 1..500', call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { limit: '0' } }) },
      noCli('ripgrep'),
    ],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/directory',
    module: 'git',
    plane: 'web',
    summary: 'One directory of the session\'s tree (`path` relative to the session directory, default root)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { path: 'src' } }),
    ok: { status: 200, schema: ack('listDirectory') },
    relay: { scope: 'session', method: 'listDirectory', target: cliOf, params: () => ({ path: 'src' }) },
    errors: [noPath(), noCli('listDirectory'), { status: 404, body: { error: 'Session not found' }, when: 'unknown id', call: async () => ({ params: { id: randomUUID() } }) }],
    foreign: denied,
  },
];
