import { useEffect, useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { changeName, parseGitStatus, parseNumstat, type GitFile, type GitStatus, type NumstatEntry } from '../lib/git.js';
import { decodeFile } from '../lib/file-text.js';
import type { Session } from '../lib/types.js';
import { DiffView, type DiffSource } from '../components/chat/diff-view.js';

interface Review {
  status: GitStatus;
  staged: Map<string, NumstatEntry>;
  unstaged: Map<string, NumstatEntry>;
}

type Selected = { file: GitFile; staged: boolean };

function counts(n: NumstatEntry | undefined) {
  if (!n) return null;
  if (n.added === null) return <span class="muted">binary</span>;
  return (
    <span class="diff-count">
      <span class="diff-adds">+{n.added}</span> <span class="diff-dels">−{n.deleted}</span>
    </span>
  );
}

function FileDiffPanel({ session, sel }: { session: Session; sel: Selected }) {
  const { api } = useHub();
  const [source, setSource] = useState<DiffSource | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setSource(null);
    setError(null);
    const load = async (): Promise<DiffSource> => {
      if (sel.file.untracked) {
        // git shows no diff for a file it does not track yet: show the whole file as added.
        const r = await api.readFile(session.id, sel.file.path);
        if (!r.success) throw new Error(r.error ?? 'The file could not be read.');
        const f = decodeFile(r.content ?? '');
        return { kind: 'edit', path: sel.file.path, oldText: '', newText: f.kind === 'text' ? f.text : `(binary file, ${f.bytes} bytes)` };
      }
      const r = await api.gitDiffFile(session.id, sel.file.path, sel.staged);
      if (!r.success) throw new Error(r.error ?? 'git could not diff that file.');
      return { kind: 'unified', path: sel.file.path, text: r.stdout ?? '' };
    };
    load().then(
      (s) => live && setSource(s),
      (err) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [session.id, sel.file.path, sel.staged]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!source) return <p class="muted" role="status">Loading the diff of {sel.file.path}…</p>;
  return <DiffView source={source} />;
}

function FileRows({ title, files, staged, numstat, selected, onSelect }: { title: string; files: GitFile[]; staged: boolean; numstat: Map<string, NumstatEntry>; selected: Selected | null; onSelect: (s: Selected) => void }) {
  if (files.length === 0) return null;
  return (
    <>
      <h3 class="review-group">
        {title} <span class="muted">({files.length})</span>
      </h3>
      <ul class="list review-files">
        {files.map((f) => {
          const isSel = selected?.file.path === f.path && selected.staged === staged;
          const letter = staged ? f.staged : f.unstaged;
          return (
            <li key={f.path} class="item">
              <button type="button" class="review-file" aria-expanded={isSel} onClick={() => onSelect({ file: f, staged })}>
                <span class="review-path">{f.path}</span>
                <span class="review-meta">
                  <span class={`badge change-${letter ?? 'x'}`}>{f.untracked ? 'new, untracked' : changeName(letter)}</span>
                  {counts(numstat.get(f.path))}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** The session's working tree as git sees it, and each changed file's diff. */
export function ReviewView({ session }: { session: Session }) {
  const { api } = useHub();
  const [review, setReview] = useState<Review | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<Selected | null>(null);

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      const [st, staged, unstaged] = await Promise.all([api.gitStatus(session.id), api.gitNumstat(session.id, true), api.gitNumstat(session.id, false)]);
      if (!st.success) throw new Error(st.error ?? 'git status failed in the session folder.');
      setReview({
        status: parseGitStatus(st.stdout ?? ''),
        staged: staged.success ? parseNumstat(staged.stdout ?? '') : new Map(),
        unstaged: unstaged.success ? parseNumstat(unstaged.stdout ?? '') : new Map(),
      });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), [session.id]);

  const files = review?.status.files ?? [];
  const stagedFiles = files.filter((f) => f.staged && !f.untracked);
  const unstagedFiles = files.filter((f) => f.unstaged && !f.untracked);
  const untracked = files.filter((f) => f.untracked);

  return (
    <section class="review" aria-labelledby="review-title">
      <div class="view-head">
        <h2 id="review-title">Changes</h2>
        <button type="button" class="btn btn-secondary btn-small" onClick={() => void load()} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {review && (
        <p class="muted" data-testid="git-branch">
          {review.status.branch ? `On branch ${review.status.branch}` : 'Detached HEAD'}
          {review.status.upstream ? ` · ${review.status.ahead} ahead, ${review.status.behind} behind ${review.status.upstream}` : ''}
        </p>
      )}
      {review && files.length === 0 && <p class="empty">No changes: the working tree is clean.</p>}
      <FileRows title="Staged" files={stagedFiles} staged numstat={review?.staged ?? new Map()} selected={selected} onSelect={setSelected} />
      <FileRows title="Not staged" files={unstagedFiles} staged={false} numstat={review?.unstaged ?? new Map()} selected={selected} onSelect={setSelected} />
      <FileRows title="Untracked" files={untracked} staged={false} numstat={new Map()} selected={selected} onSelect={setSelected} />
      {selected && (
        <div class="review-diff" aria-live="polite">
          <FileDiffPanel session={session} sel={selected} />
        </div>
      )}
    </section>
  );
}
