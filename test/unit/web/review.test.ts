import { expect } from 'chai';
import { parseGitStatus, parseNumstat } from '../../../web/src/lib/git.js';
import { editDiff, parseUnifiedDiff } from '../../../web/src/lib/diff-lines.js';
import { decodeFile, joinPath, parentPath } from '../../../web/src/lib/file-text.js';

// `git status --porcelain=v2 --branch --untracked-files=all`, as the CLI's git-status RPC returns it
const STATUS = [
  '# branch.oid 4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  '# branch.head feature/fix-add',
  '# branch.upstream origin/feature/fix-add',
  '# branch.ab +2 -1',
  '1 .M N... 100644 100644 100644 e69de29 e69de29 src/math.ts',
  '1 M. N... 100644 100644 100644 e69de29 e69de29 README with space.md',
  '2 R. N... 100644 100644 100644 e69de29 e69de29 R100 src/new name.ts\tsrc/old.ts',
  'u UU N... 100644 100644 100644 100644 a b c conflict.txt',
  '? notes/todo.txt',
  '',
].join('\n');

describe('web review: git status, numstat, diffs and file text', () => {
  it('when git reports porcelain v2, then branch, upstream, ahead/behind and each file with staged and unstaged letters are read', () => {
    const s = parseGitStatus(STATUS);
    expect(s).to.deep.include({ branch: 'feature/fix-add', upstream: 'origin/feature/fix-add', ahead: 2, behind: 1 });
    expect(s.files).to.deep.equal([
      { path: 'src/math.ts', from: null, staged: null, unstaged: 'M', untracked: false, conflicted: false },
      { path: 'README with space.md', from: null, staged: 'M', unstaged: null, untracked: false, conflicted: false },
      { path: 'src/new name.ts', from: 'src/old.ts', staged: 'R', unstaged: null, untracked: false, conflicted: false },
      { path: 'conflict.txt', from: null, staged: 'U', unstaged: 'U', untracked: false, conflicted: true },
      { path: 'notes/todo.txt', from: null, staged: null, unstaged: '?', untracked: true, conflicted: false },
    ]);
    expect(parseGitStatus('# branch.head (detached)\n').branch).to.equal(null);
  });

  it('when numstat lists text, binary and renamed files, then counts are read by the new path', () => {
    const n = parseNumstat('3\t1\tsrc/math.ts\n-\t-\tlogo.png\n0\t0\tsrc/{old.ts => new name.ts}\n1\t1\ta.txt => b.txt\n');
    expect(n.get('src/math.ts')).to.deep.equal({ path: 'src/math.ts', added: 3, deleted: 1 });
    expect(n.get('logo.png')).to.deep.equal({ path: 'logo.png', added: null, deleted: null });
    expect(n.has('src/new name.ts')).to.equal(true);
    expect(n.has('b.txt')).to.equal(true);
  });

  it('when git diff output is parsed, then lines are numbered on both sides and counted', () => {
    const text = 'diff --git a/src/math.ts b/src/math.ts\nindex 1..2 100644\n--- a/src/math.ts\n+++ b/src/math.ts\n@@ -1,3 +1,3 @@\n export function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';
    const [f] = parseUnifiedDiff(text);
    expect(f).to.deep.include({ path: 'src/math.ts', additions: 1, deletions: 1 });
    expect(f!.lines.map((l) => [l.kind, l.oldNo, l.newNo])).to.deep.equal([
      ['hunk', null, null],
      ['ctx', 1, 1],
      ['del', 2, null],
      ['add', null, 2],
      ['ctx', 3, 3],
    ]);
    expect(parseUnifiedDiff('')).to.deep.equal([]);
  });

  it('when an edit replaces text, then its diff shows what was removed and added', () => {
    const d = editDiff('a.ts', 'one\ntwo\nthree\n', 'one\n2\nthree\n');
    expect(d.lines.filter((l) => l.kind !== 'ctx' && l.kind !== 'hunk').map((l) => `${l.kind}:${l.text}`)).to.deep.equal(['del:two', 'add:2']);
    expect(editDiff('new.ts', '', 'x\n').additions).to.equal(1);
  });

  it('when a file is read as base64, then text decodes as UTF-8 and binary is recognised', () => {
    expect(decodeFile(Buffer.from('héllo\n').toString('base64'))).to.deep.equal({ kind: 'text', text: 'héllo\n', truncated: false });
    expect(decodeFile(Buffer.from([0x89, 0x50, 0x00, 0x01]).toString('base64'))).to.deep.equal({ kind: 'binary', bytes: 4 });
    expect(decodeFile(Buffer.from([0xff, 0xfe, 0xfd]).toString('base64')).kind).to.equal('binary');
    expect(joinPath('', 'src')).to.equal('src');
    expect(joinPath('src/', 'a.ts')).to.equal('src/a.ts');
    expect(parentPath('src/lib')).to.equal('src');
    expect(parentPath('src')).to.equal('');
  });
});
