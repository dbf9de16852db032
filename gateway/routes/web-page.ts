import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Paths that belong to the APIs: an unknown one is a JSON 404, never the page. */
const API_PREFIXES = ['/api/', '/cli/', '/admin/', '/socket.io/'];
const API_EXACT = new Set(['/api', '/cli', '/admin', '/health', '/socket.io']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

// The page loads nothing from elsewhere. Styles may be inline because the web terminal (xterm.js)
// themes itself with <style> elements it creates; scripts stay 'self' only, and the page never
// turns message text into markup. Only the page itself and Telegram's web clients may frame it
// (Telegram shows a Mini App in a frame there; its phone and desktop apps use a web view, which
// is no frame), so another site cannot overlay the page to steal clicks.
export const FRAME_ANCESTORS = ["'self'", 'https://web.telegram.org', 'https://webk.telegram.org', 'https://webz.telegram.org'];
const CSP = `default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors ${FRAME_ANCESTORS.join(' ')}`;

export function isApiPath(urlPath: string): boolean {
  return API_EXACT.has(urlPath) || API_PREFIXES.some((p) => urlPath.startsWith(p));
}

/** The file under `root` that `urlPath` names, or null when it escapes root or is malformed. */
export function resolveWebFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return file.startsWith(root + path.sep) ? file : null;
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

function secure(reply: FastifyReply): FastifyReply {
  return reply.header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer');
}

/**
 * Serves the built web page (`webDir`, normally web/dist) at `/`: its files as they are (hashed
 * assets cached for a year), and index.html for any other GET that is not an API path, so the
 * page's own routes (/sessions/<id>, /machines, /spawn) survive a reload. Register it last.
 */
export function registerWebPage(app: FastifyInstance, webDir: string): void {
  const root = path.resolve(webDir);
  const index = path.join(root, 'index.html');

  app.get('/*', async (request, reply) => {
    const urlPath = request.url.split('?')[0] ?? '/';
    if (isApiPath(urlPath)) return reply.code(404).send({ error: 'Not found' });
    const file = resolveWebFile(root, urlPath);
    if (file && file !== index && (await isFile(file))) {
      const immutable = urlPath.startsWith('/assets/');
      secure(reply)
        .type(TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
        .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.send(await readFile(file));
    }
    if (path.extname(urlPath) && urlPath.startsWith('/assets/')) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    const html = await readFile(index).catch(() => null);
    if (!html) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web page is not built. Run `npm run build:web` (make run does it for you).');
    }
    return secure(reply).type(TYPES['.html']!).header('Cache-Control', 'no-cache').header('Content-Security-Policy', CSP).send(html);
  });
}
