import { expect } from 'chai';
import { startHub, type Hub } from '../helpers/hub-harness.js';
import { PROJECT_DIR, World } from '../surface/world.js';

/**
 * Reviewing what the agent did, through the gateway: git status, diffs, files, file search and
 * generated images are relayed to the session's CLI (stand-in sockets) with HAPI's params, and a
 * failed relay is HAPI's 200 `{success:false, error}`. Bob's token on alice's session is refused
 * before anything reaches her CLI.
 */
describe('e2e session git and files', function () {
  this.timeout(120_000);
  let hub: Hub;
  let w: World;

  before(async () => {
    hub = await startHub();
    w = await World.create({ kind: 'teamhub', url: hub.url, baseToken: hub.baseToken, output: () => hub.output('gateway0'), stop: () => hub.stop() });
  });
  after(async () => {
    await w?.close();
    await hub?.stop();
  });

  const get = (id: string, route: string, who: 'alice' | 'bob' = 'alice', headers?: Record<string, string>) => w.request('web', 'GET', `/api/sessions/${id}/${route}`, { who, headers });

  it("when alice reviews, then each route relays its RPC with HAPI's params and answers the CLI's result", async () => {
    const s = await w.session('review');
    const cli = s.standIn!;
    const cases: Array<[string, string, unknown]> = [
      ['git-status', 'git-status', { cwd: PROJECT_DIR }],
      ['git-diff-numstat?staged=false', 'git-diff-numstat', { cwd: PROJECT_DIR, staged: false }],
      ['git-diff-numstat?staged=maybe', 'git-diff-numstat', { cwd: PROJECT_DIR }],
      ['git-diff-file?path=src%2Fa.ts&staged=true', 'git-diff-file', { cwd: PROJECT_DIR, filePath: 'src/a.ts', staged: true }],
      ['file?path=README.md', 'readFile', { path: 'README.md' }],
      ['directory', 'listDirectory', { path: '' }],
      ['directory?path=src', 'listDirectory', { path: 'src' }],
    ];
    for (const [route, method, params] of cases) {
      const before = cli.rpcs.length;
      const r = await get(s.id, route);
      expect(r.status, route).to.equal(200);
      expect(r.json.success, route).to.equal(true);
      expect(cli.rpcs.slice(before).map((c) => [c.method, c.params]), route).to.deep.equal([[method, params]]);
    }
  });

  it('when alice searches files, then ripgrep gets the glob, the lines are filtered and cut at the limit, and statFiles adds sizes', async () => {
    const s = await w.session('search');
    s.standIn!.onRpc('ripgrep', () => ({ success: true, exitCode: 0, stdout: 'src/parser.ts\nsrc/lexer.ts\ndocs/parser.md\ntest/parser.test.ts\n', stderr: '' }));
    s.standIn!.onRpc('statFiles', (p: { paths: string[] }) => ({ success: true, entries: p.paths.map((path, i) => ({ path, size: 10 + i })) }));
    const r = await get(s.id, 'files?query=PARSER&limit=2');
    expect(r.json).to.deep.equal({
      success: true,
      files: [
        { fileName: 'parser.ts', filePath: 'src', fullPath: 'src/parser.ts', fileType: 'file', size: 10 },
        { fileName: 'parser.md', filePath: 'docs', fullPath: 'docs/parser.md', fileType: 'file', size: 11 },
      ],
    });
    const rg = await s.standIn!.waitRpc('ripgrep');
    expect(rg.params).to.deep.equal({ args: ['--files', '--iglob', '*PARSER*'], cwd: PROJECT_DIR, fileSearch: { query: 'PARSER', limit: 2 } });
    expect((await s.standIn!.waitRpc('statFiles')).params).to.deep.equal({ paths: ['src/parser.ts', 'docs/parser.md'] });
    const wild = await get(s.id, 'files?query=src%2F*.ts');
    expect(wild.json.files.map((f: { fullPath: string }) => f.fullPath)).to.deep.equal(['src/parser.ts', 'src/lexer.ts']);
    for (const bad of ['files?limit=0', 'files?limit=501', 'files?limit=x']) {
      const b = await get(s.id, bad);
      expect([b.status, b.json], bad).to.deep.equal([400, { error: 'Invalid query' }]);
    }
  });

  it('when a generated image is fetched, then its bytes come with the CLI\'s type and an immutable ETag; If-None-Match is 304; a missing one 404', async () => {
    const s = await w.session('images');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    s.standIn!.onRpc('readGeneratedImage', (p: { id: string }) => (p.id === 'img-7' ? { success: true, content: png.toString('base64'), mimeType: 'image/png', fileName: 'plot.png' } : { success: false, error: 'Generated image not found' }));
    const res = await fetch(`${hub.url}/api/sessions/${s.id}/generated-images/img-7`, { headers: { authorization: `Bearer ${w.jwt('alice')}` } });
    expect(res.status).to.equal(200);
    expect(Buffer.from(await res.arrayBuffer())).to.deep.equal(png);
    expect(res.headers.get('content-type')).to.equal('image/png');
    expect(res.headers.get('etag')).to.equal('"img-7"');
    expect(res.headers.get('content-disposition')).to.equal('inline; filename="plot.png"');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    const before = s.standIn!.rpcs.length;
    expect((await get(s.id, 'generated-images/img-7', 'alice', { 'if-none-match': 'W/"img-7"' })).status).to.equal(304);
    expect(s.standIn!.rpcs.length, 'a cached image asks the CLI nothing').to.equal(before);
    const missing = await get(s.id, 'generated-images/nope');
    expect([missing.status, missing.json]).to.deep.equal([404, { success: false, error: 'Generated image not found' }]);
  });

  it('when the relay fails, then 200 with success:false and the reason; without a path nothing is relayed; a bad path is 400', async () => {
    const offline = await w.session('review-offline', { live: false });
    for (const [route, method] of [['git-status', 'git-status'], ['file?path=a', 'readFile'], ['directory', 'listDirectory'], ['files', 'ripgrep']]) {
      const r = await get(offline.id, route!);
      expect([r.status, r.json], route).to.deep.equal([200, { success: false, error: `RPC handler not registered: ${offline.id}:${method}` }]);
    }
    const slow = await w.session('review-cli-error');
    slow.standIn!.onRpc('git-status', () => {
      throw new Error('fatal: not a git repository');
    });
    expect((await get(slow.id, 'git-status')).json).to.deep.equal({ error: 'fatal: not a git repository' });
    const noPath = await w.session('review-no-path', { metadata: { path: undefined } });
    const before = noPath.standIn!.rpcs.length;
    expect((await get(noPath.id, 'git-status')).json).to.deep.equal({ success: false, error: 'Session path not available' });
    expect(noPath.standIn!.rpcs.length).to.equal(before);
    const s = await w.session('review');
    for (const route of ['git-diff-file', 'git-diff-file?path=', 'file']) {
      const r = await get(s.id, route);
      expect([r.status, r.json], route).to.deep.equal([400, { error: 'Invalid file path' }]);
    }
  });

  it("when bob asks for alice's status, diff, files, directory or images, then 403 and her CLI gets nothing", async () => {
    const s = await w.session('review');
    const before = s.standIn!.rpcs.length;
    for (const route of ['git-status', 'git-diff-numstat', 'git-diff-file?path=a', 'file?path=a', 'files', 'directory', 'generated-images/img-1']) {
      const r = await get(s.id, route, 'bob');
      expect([r.status, r.json], route).to.deep.equal([403, { error: 'Session access denied' }]);
    }
    expect(s.standIn!.rpcs.length).to.equal(before);
  });
});
