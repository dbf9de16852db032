import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { DirectoryQuery, FilePathQuery, FileSearchQuery } from '../hapi/session-rules.js';
import { requireWebSession } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';
import { metadataOf, str } from './session-metadata.js';
import { relayOrFailure } from './session-rpc.js';

type IdParams = { Params: { id: string } };
type Query = Record<string, unknown>;

const NO_PATH = { success: false, error: 'Session path not available' };
const IMAGE_CACHE_CONTROL = 'private, max-age=31536000, immutable';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** HAPI's `staged=true|false` (anything else: not sent). */
const booleanParam = (v: unknown): boolean | undefined => (v === 'true' ? true : v === 'false' ? false : undefined);

const isWindowsPath = (p: string) => /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
const isWildcard = (q: string) => q.includes('*') || q.includes('?');

/** HAPI's wildcard match (`*`, `?`, case-insensitive) of a whole path. */
function matchesWildcard(value: string, pattern: string): boolean {
  const input = Array.from(value.toLowerCase());
  const tokens = Array.from(pattern.toLowerCase());
  let i = 0;
  let t = 0;
  let star = -1;
  let retry = 0;
  while (i < input.length) {
    const token = tokens[t];
    if (token !== undefined && (token === '?' || token === input[i])) {
      i++;
      t++;
    } else if (token === '*') {
      star = t++;
      retry = i;
    } else if (star >= 0) {
      t = star + 1;
      i = ++retry;
    } else return false;
  }
  while (tokens[t] === '*') t++;
  return t === tokens.length;
}

function matchesQuery(value: string, query: string): boolean {
  const q = query.trim();
  if (!q) return true;
  return isWildcard(q) ? matchesWildcard(value, q) : value.toLowerCase().includes(q.toLowerCase());
}

/** ripgrep's `--iglob` for a query: `*query*` unless it is a wildcard already, glob syntax escaped. */
function searchGlob(query: string): string {
  const q = query.trim();
  const pattern = isWildcard(q) ? q : `*${q}*`;
  return Array.from(pattern)
    .map((ch, i) => (ch === '\\' || ch === '[' || ch === ']' || ch === '{' || ch === '}' ? `\\${ch}` : i === 0 && ch === '!' ? '\\!' : ch))
    .join('');
}

/**
 * Reviewing what the agent did: git status, numstat, one file's diff, a file, a file search and
 * a directory of the session's working directory, and an image the agent generated, all asked of
 * the session's CLI. A failed call answers 200 `{success:false, error}` as HAPI does.
 */
export function registerSessionGitRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  /** The session and its working directory (null: HAPI's "Session path not available"). */
  const withPath = async (request: FastifyRequest<IdParams>): Promise<{ ctx: CallContext; session: Session; cwd: string | undefined }> => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    return { ctx, session, cwd: str(metadataOf(session)?.path) };
  };
  const relay = (ctx: CallContext, s: Session, method: string, params: unknown) => relayOrFailure(deps.live, ctx, s.id, method, params);

  app.get<IdParams>('/api/sessions/:id/git-status', async (request) => {
    const { ctx, session, cwd } = await withPath(request);
    if (!cwd) return NO_PATH;
    return relay(ctx, session, 'git-status', { cwd });
  });

  app.get<IdParams>('/api/sessions/:id/git-diff-numstat', async (request) => {
    const { ctx, session, cwd } = await withPath(request);
    if (!cwd) return NO_PATH;
    return relay(ctx, session, 'git-diff-numstat', { cwd, staged: booleanParam((request.query as Query).staged) });
  });

  app.get<IdParams>('/api/sessions/:id/git-diff-file', async (request, reply) => {
    const { ctx, session, cwd } = await withPath(request);
    if (!cwd) return NO_PATH;
    const q = FilePathQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'Invalid file path' });
    return relay(ctx, session, 'git-diff-file', { cwd, filePath: q.data.path, staged: booleanParam((request.query as Query).staged) });
  });

  app.get<IdParams>('/api/sessions/:id/file', async (request, reply) => {
    const { ctx, session, cwd } = await withPath(request);
    if (!cwd) return NO_PATH;
    const q = FilePathQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'Invalid file path' });
    return relay(ctx, session, 'readFile', { path: q.data.path });
  });

  app.get<{ Params: { id: string; imageId: string } }>('/api/sessions/:id/generated-images/:imageId', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    const imageId = request.params.imageId;
    if (!imageId) return reply.code(400).send({ error: 'Invalid generated image id' });
    const etag = `"${imageId}"`;
    const ifNoneMatch = request.headers['if-none-match'];
    const matches = typeof ifNoneMatch === 'string' && ifNoneMatch.split(',').some((c) => c.trim() === '*' || c.trim().replace(/^W\//, '') === etag);
    if (matches) return reply.code(304).header('Cache-Control', IMAGE_CACHE_CONTROL).header('ETag', etag).send();
    const result = await relay(ctx, session, 'readGeneratedImage', { id: imageId });
    const r = isObject(result) ? result : {};
    if (!r.success || typeof r.content !== 'string' || r.content.length === 0) {
      return reply.code(404).send({ success: false, error: typeof r.error === 'string' ? r.error : 'Generated image not found' });
    }
    const mimeType = typeof r.mimeType === 'string' ? r.mimeType : 'application/octet-stream';
    const inline = typeof r.mimeType !== 'string' || /^(image|video|audio)\//.test(mimeType);
    const fileName = typeof r.fileName === 'string' ? r.fileName : 'generated-media';
    return reply
      .code(200)
      .header('Content-Type', mimeType)
      .header('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${encodeURIComponent(fileName)}"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', IMAGE_CACHE_CONTROL)
      .header('ETag', etag)
      .send(Buffer.from(r.content, 'base64'));
  });

  app.get<IdParams>('/api/sessions/:id/files', async (request, reply) => {
    const { ctx, session, cwd } = await withPath(request);
    if (!cwd) return NO_PATH;
    const q = FileSearchQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'Invalid query' });
    const windows = isWindowsPath(cwd);
    const raw = q.data.query?.trim() ?? '';
    const query = windows ? raw.replaceAll('\\', '/') : raw;
    const limit = q.data.limit ?? 200;
    const args = ['--files'];
    if (query && !isWildcard(query)) args.push('--iglob', searchGlob(query));
    const found = await relay(ctx, session, 'ripgrep', { args, cwd, fileSearch: { query, limit } });
    const rg = isObject(found) ? found : {};
    if (!rg.success) return { success: false, error: typeof rg.error === 'string' ? rg.error : 'Failed to list files' };
    const paths = String(rg.stdout ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .map((p) => (windows ? p.replaceAll('\\', '/') : p))
      .filter((p) => !query || matchesQuery(p, query))
      .slice(0, limit);
    const stat = await relay(ctx, session, 'statFiles', { paths });
    const entries = isObject(stat) && stat.success && Array.isArray(stat.entries) ? (stat.entries as unknown[]).filter(isObject) : [];
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const files = paths.map((fullPath) => {
      const parts = fullPath.split('/');
      const meta = byPath.get(fullPath);
      return {
        fileName: parts[parts.length - 1] || fullPath,
        filePath: parts.slice(0, -1).join('/'),
        fullPath,
        fileType: 'file',
        size: typeof meta?.size === 'number' ? meta.size : undefined,
        modified: typeof meta?.modified === 'number' ? meta.modified : undefined,
      };
    });
    return { success: true, files };
  });

  app.get<IdParams>('/api/sessions/:id/directory', async (request, reply) => {
    const { ctx, session, cwd } = await withPath(request);
    if (!cwd) return NO_PATH;
    const q = DirectoryQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'Invalid query' });
    return relay(ctx, session, 'listDirectory', { path: q.data.path ?? '' });
  });
}
