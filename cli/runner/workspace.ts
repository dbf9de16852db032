// Workspace roots: the runner only spawns in, lists and probes paths inside them. Paths are compared
// after resolving symlinks, so `..` segments and symlinks that point outside are refused.
import fs from 'node:fs';
import path from 'node:path';

/** realpath of `p`, or of its nearest existing ancestor with the rest appended (for paths not yet created). */
export function resolveReal(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

export function isWithin(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  if (rel === '') return true;
  return !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith('..' + path.sep);
}

export class WorkspaceRoots {
  readonly roots: string[];

  constructor(roots: string[]) {
    if (roots.length === 0) throw new Error('at least one workspace root is needed');
    this.roots = roots.map((r) => resolveReal(r));
  }

  /** The resolved real path when `p` is absolute and inside a root, else null. */
  check(p: unknown): string | null {
    if (typeof p !== 'string' || !p || p.includes('\0') || !path.isAbsolute(p)) return null;
    const real = resolveReal(p);
    return this.roots.some((root) => isWithin(root, real)) ? real : null;
  }
}
