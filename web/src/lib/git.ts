// Reads what the session's CLI answers for review: `git status --porcelain=v2 --branch
// --untracked-files=all` and `git diff --numstat` output, as HAPI's git routes relay them.

export interface GitFile {
  path: string;
  /** The old path of a rename or copy. */
  from: string | null;
  /** Index (staged) and work-tree (unstaged) change letters, null when unchanged there. */
  staged: string | null;
  unstaged: string | null;
  untracked: boolean;
  conflicted: boolean;
}

export interface GitStatus {
  branch: string | null;
  upstream: string | null;
  ahead: number;
  behind: number;
  files: GitFile[];
}

const CHANGE_NAMES: Record<string, string> = { M: 'modified', A: 'added', D: 'deleted', R: 'renamed', C: 'copied', T: 'type changed', U: 'conflicted' };

export function changeName(letter: string | null): string {
  return letter ? (CHANGE_NAMES[letter] ?? letter) : 'unchanged';
}

function letter(c: string | undefined): string | null {
  return !c || c === '.' ? null : c;
}

/** Porcelain v2 status text as branch facts and changed files (staged and unstaged kept apart). */
export function parseGitStatus(stdout: string): GitStatus {
  const status: GitStatus = { branch: null, upstream: null, ahead: 0, behind: 0, files: [] };
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    if (line.startsWith('# branch.head ')) {
      const head = line.slice('# branch.head '.length);
      status.branch = head === '(detached)' ? null : head;
    } else if (line.startsWith('# branch.upstream ')) status.upstream = line.slice('# branch.upstream '.length);
    else if (line.startsWith('# branch.ab ')) {
      const m = /\+(\d+) -(\d+)/.exec(line);
      if (m) [status.ahead, status.behind] = [Number(m[1]), Number(m[2])];
    } else if (line.startsWith('1 ')) {
      const f = line.split(' ');
      const xy = f[1] ?? '..';
      status.files.push({ path: f.slice(8).join(' '), from: null, staged: letter(xy[0]), unstaged: letter(xy[1]), untracked: false, conflicted: false });
    } else if (line.startsWith('2 ')) {
      const f = line.split(' ');
      const xy = f[1] ?? '..';
      const [path, from] = f.slice(9).join(' ').split('\t');
      status.files.push({ path: path ?? '', from: from ?? null, staged: letter(xy[0]), unstaged: letter(xy[1]), untracked: false, conflicted: false });
    } else if (line.startsWith('u ')) {
      const f = line.split(' ');
      status.files.push({ path: f.slice(10).join(' '), from: null, staged: 'U', unstaged: 'U', untracked: false, conflicted: true });
    } else if (line.startsWith('? ')) {
      status.files.push({ path: line.slice(2), from: null, staged: null, unstaged: '?', untracked: true, conflicted: false });
    }
  }
  return status;
}

export interface NumstatEntry {
  path: string;
  added: number | null;
  deleted: number | null;
}

/** `git diff --numstat` lines (`-` counts mean a binary file). */
export function parseNumstat(stdout: string): Map<string, NumstatEntry> {
  const map = new Map<string, NumstatEntry>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(line);
    if (!m) continue;
    // Renames come as `old => new` or `dir/{old => new}`; the new path is the one status lists.
    const path = m[3]!.replace(/\{[^}]* => ([^}]*)\}/, '$1').replace(/^.* => /, '');
    map.set(path, { path, added: m[1] === '-' ? null : Number(m[1]), deleted: m[2] === '-' ? null : Number(m[2]) });
  }
  return map;
}
