import { useEffect, useState } from 'preact/hooks';
import type { FileDiff } from '../../lib/diff-lines.js';

export type DiffSource = { kind: 'edit'; path: string; oldText: string; newText: string } | { kind: 'unified'; path: string; text: string };

const SIGN = { add: '+', del: '−', ctx: ' ', hunk: '' } as const;

/** A diff as numbered lines; jsdiff loads on first use. */
export function DiffView({ source }: { source: DiffSource }) {
  const [files, setFiles] = useState<FileDiff[] | null>(null);
  const [failed, setFailed] = useState(false);
  const key = source.kind === 'edit' ? `${source.path}\0${source.oldText}\0${source.newText}` : `${source.path}\0${source.text}`;
  useEffect(() => {
    let live = true;
    import('../../lib/diff-lines.js').then(
      (m) => live && setFiles(source.kind === 'edit' ? [m.editDiff(source.path, source.oldText, source.newText)] : m.parseUnifiedDiff(source.text, source.path)),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [key]);
  if (failed) return <p class="error">The diff could not be shown.</p>;
  if (!files) return <p class="muted">Loading the diff…</p>;
  if (files.length === 0) return <p class="muted">No changes.</p>;
  return (
    <>
      {files.map((f, i) => (
        <figure class="diff" key={i} data-testid="diff">
          <figcaption class="diff-file">
            <span class="diff-path">{f.path || 'changes'}</span>
            <span class="diff-count">
              <span class="diff-adds">+{f.additions}</span> <span class="diff-dels">−{f.deletions}</span>
              <span class="sr-only">
                {' '}
                ({f.additions} lines added, {f.deletions} removed)
              </span>
            </span>
          </figcaption>
          <div class="diff-lines">
            {f.lines.map((l, j) => (
              <div key={j} class={`dl dl-${l.kind}`}>
                <span class="dl-no" aria-hidden="true">{l.kind === 'hunk' ? '' : (l.oldNo ?? '')}</span>
                <span class="dl-no" aria-hidden="true">{l.kind === 'hunk' ? '' : (l.newNo ?? '')}</span>
                <span class="dl-text">
                  {l.kind === 'add' && <span class="sr-only">added: </span>}
                  {l.kind === 'del' && <span class="sr-only">removed: </span>}
                  <span aria-hidden="true">{SIGN[l.kind]}</span>
                  {l.text}
                </span>
              </div>
            ))}
          </div>
        </figure>
      ))}
    </>
  );
}
