import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listDirectory, OUTSIDE_ROOTS, pathExists, spawnHandler } from '../../../cli/runner/handlers.js';
import type { SpawnedSessions } from '../../../cli/runner/sessions.js';
import { WorkspaceRoots } from '../../../cli/runner/workspace.js';

describe('cli workspace roots', () => {
  let base: string;
  let root: string;
  let roots: WorkspaceRoots;
  before(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'th-cli-ws-')));
    root = path.join(base, 'ws');
    fs.mkdirSync(path.join(root, 'proj', 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, 'proj', 'a.txt'), 'hello');
    fs.mkdirSync(path.join(base, 'ws-other'));
    fs.mkdirSync(path.join(base, 'secret'));
    fs.symlinkSync(path.join(base, 'secret'), path.join(root, 'escape'));
    fs.symlinkSync(path.join(root, 'proj'), path.join(base, 'via-link'));
    roots = new WorkspaceRoots([root]);
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('when a path is the root or below it, then it is inside', () => {
    expect(roots.check(root)).to.equal(root);
    expect(roots.check(path.join(root, 'proj', 'src'))).to.equal(path.join(root, 'proj', 'src'));
    expect(roots.check(path.join(root, 'proj', 'not-yet'))).to.equal(path.join(root, 'proj', 'not-yet'));
  });

  it('when a path escapes with .., is a sibling with the same prefix, or is relative, then it is outside', () => {
    expect(roots.check(path.join(root, '..', 'secret'))).to.equal(null);
    expect(roots.check(`${root}/proj/../../secret`)).to.equal(null);
    expect(roots.check(path.join(base, 'ws-other'))).to.equal(null);
    expect(roots.check('ws/proj')).to.equal(null);
    expect(roots.check('/')).to.equal(null);
    expect(roots.check(42)).to.equal(null);
  });

  it('when a symlink inside a root points outside, then it is outside; a link from outside into a root is inside', () => {
    expect(roots.check(path.join(root, 'escape'))).to.equal(null);
    expect(roots.check(path.join(root, 'escape', 'x'))).to.equal(null);
    expect(roots.check(path.join(base, 'via-link'))).to.equal(path.join(root, 'proj'));
  });

  it('when a spawn asks for a directory outside the roots, then it answers HAPI’s error without spawning', async () => {
    let spawned = false;
    const sessions = { spawn: async () => ((spawned = true), 'x') } as unknown as SpawnedSessions;
    const res = await spawnHandler({ type: 'spawn-in-directory', directory: path.join(root, 'escape') }, roots, sessions);
    expect(res).to.deep.equal({ type: 'error', errorMessage: OUTSIDE_ROOTS, code: 'outside_workspace_roots' });
    expect(spawned).to.equal(false);
    const ok = await spawnHandler({ type: 'spawn-in-directory', directory: path.join(root, 'proj') }, roots, sessions);
    expect(ok).to.deep.equal({ type: 'success', sessionId: 'x' });
  });

  it('when listing a directory, then entries carry type, size and mtime; outside the roots it fails', async () => {
    const res = (await listDirectory({ path: path.join(root, 'proj') }, roots)) as { success: boolean; entries: any[] };
    expect(res.success).to.equal(true);
    expect(res.entries.map((e) => [e.name, e.type])).to.deep.equal([
      ['a.txt', 'file'],
      ['src', 'directory'],
    ]);
    expect(res.entries[0].size).to.equal(5);
    expect(await listDirectory({ path: path.join(base, 'secret') }, roots)).to.include({ success: false });
  });

  it('when probing paths, then only existing paths inside the roots are true', async () => {
    const inside = path.join(root, 'proj', 'a.txt');
    const res = await pathExists({ paths: [inside, path.join(root, 'nope'), path.join(base, 'secret')] }, roots);
    expect(res).to.deep.equal({ exists: { [inside]: true, [path.join(root, 'nope')]: false, [path.join(base, 'secret')]: false } });
  });
});
