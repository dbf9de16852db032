import { expect } from 'chai';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isApiPath, registerWebPage, resolveWebFile } from '../../../gateway/routes/web-page.js';

describe('gateway web page (static files + SPA fallback)', () => {
  let dir: string;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-web-'));
    mkdirSync(path.join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(path.join(dir, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'outside');
    app = Fastify();
    app.get('/api/sessions', async () => ({ sessions: [] }));
    registerWebPage(app, path.join(dir, 'dist'));
    await app.ready();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when / or a page route is requested, then index.html is served with no-cache and a CSP', async () => {
    for (const url of ['/', '/sessions/abc', '/machines', '/spawn?machine=x']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.headers['cache-control']).to.equal('no-cache');
      expect(String(res.headers['content-security-policy'])).to.include("script-src 'self'");
      // Framed only by the page itself and Telegram's web clients (a Mini App is framed there).
      expect(String(res.headers['content-security-policy'])).to.include("frame-ancestors 'self' https://web.telegram.org https://webk.telegram.org https://webz.telegram.org");
      expect(res.body).to.include('<title>page</title>');
    }
  });

  it('when a hashed asset is requested, then it is served as JavaScript and cached for a year', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc.js' });
    expect(res.statusCode).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/javascript/);
    expect(res.headers['cache-control']).to.include('immutable');
  });

  it('when a missing asset or an unknown API path is requested, then 404 (never the page)', async () => {
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).to.equal(404);
    const api = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(api.statusCode).to.equal(404);
    expect(api.json()).to.deep.equal({ error: 'Not found' });
    expect((await app.inject({ method: 'GET', url: '/cli/nope' })).statusCode).to.equal(404);
    expect((await app.inject({ method: 'GET', url: '/api/sessions' })).json()).to.deep.equal({ sessions: [] });
  });

  it('when a path tries to climb out of the web folder, then nothing outside is served', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body, url).to.not.include('outside');
    }
    const root = path.join(dir, 'dist');
    expect(resolveWebFile(root, '/%2e%2e/secret.txt')).to.equal(path.join(root, 'secret.txt'));
    expect(resolveWebFile(root, '/%E0%A4%A')).to.equal(null);
    expect(resolveWebFile(root, '/a\\..\\b')).to.equal(null);
  });

  it('when classifying paths, then API prefixes are recognised and page routes are not', () => {
    expect(isApiPath('/api/sessions')).to.equal(true);
    expect(isApiPath('/health')).to.equal(true);
    expect(isApiPath('/socket.io/')).to.equal(true);
    expect(isApiPath('/apiary')).to.equal(false);
    expect(isApiPath('/sessions/1')).to.equal(false);
  });

  it('when the page is not built, then / answers 503 with the command to build it', async () => {
    const bare = Fastify();
    registerWebPage(bare, path.join(dir, 'no-such-dist'));
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).to.equal(503);
    expect(res.body).to.include('npm run build:web');
    await bare.close();
  });
});
