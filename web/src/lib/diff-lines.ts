// Diffs as numbered lines for the diff view: an agent's edit (old text → new text, computed with
// jsdiff) or a unified diff (git's output, a Codex patch), parsed with jsdiff's parsePatch.
import { parsePatch, structuredPatch } from 'diff';

export interface DiffLine {
  kind: 'add' | 'del' | 'ctx' | 'hunk';
  text: string;
  oldNo: number | null;
  newNo: number | null;
}

export interface FileDiff {
  path: string;
  lines: DiffLine[];
  additions: number;
  deletions: number;
}

interface Hunk {
  oldStart: number;
  newStart: number;
  oldLines: number;
  newLines: number;
  lines: string[];
}

function hunkLines(hunks: Hunk[]): Omit<FileDiff, 'path'> {
  const lines: DiffLine[] = [];
  let additions = 0;
  let deletions = 0;
  for (const h of hunks) {
    lines.push({ kind: 'hunk', text: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, oldNo: null, newNo: null });
    let o = h.oldStart;
    let n = h.newStart;
    for (const raw of h.lines) {
      const sign = raw[0];
      const text = raw.slice(1);
      if (sign === '+') {
        lines.push({ kind: 'add', text, oldNo: null, newNo: n++ });
        additions++;
      } else if (sign === '-') {
        lines.push({ kind: 'del', text, oldNo: o++, newNo: null });
        deletions++;
      } else if (sign === '\\') {
        continue; // "\ No newline at end of file"
      } else {
        lines.push({ kind: 'ctx', text, oldNo: o++, newNo: n++ });
      }
    }
  }
  return { lines, additions, deletions };
}

/** The diff between the text an edit replaced and its replacement, with 3 lines of context. */
export function editDiff(path: string, oldText: string, newText: string): FileDiff {
  const patch = structuredPatch(path, path, oldText, newText, '', '', { context: 3 });
  return { path, ...hunkLines(patch.hunks) };
}

function cleanPath(p: string | undefined): string {
  if (!p || p === '/dev/null') return '';
  return p.replace(/^[ab]\//, '');
}

/** Every file of a unified diff (`git diff` output or a bare `@@` fragment). */
export function parseUnifiedDiff(text: string, fallbackPath = ''): FileDiff[] {
  if (!text.trim()) return [];
  let patches;
  try {
    patches = parsePatch(text);
  } catch {
    return [{ path: fallbackPath, lines: text.split('\n').map((t) => ({ kind: 'ctx' as const, text: t, oldNo: null, newNo: null })), additions: 0, deletions: 0 }];
  }
  return patches
    .filter((p) => p.hunks.length > 0)
    .map((p) => ({ path: cleanPath(p.newFileName) || cleanPath(p.oldFileName) || fallbackPath, ...hunkLines(p.hunks) }));
}
