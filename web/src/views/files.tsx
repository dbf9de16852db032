import { useEffect, useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { decodeFile, joinPath, parentPath, type FileText } from '../lib/file-text.js';
import { languageForPath } from '../lib/languages.js';
import type { DirectoryEntry, Session } from '../lib/types.js';
import { CodeBlock } from '../components/chat/code-block.js';

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The session folder's files (through the session's CLI), and one file's text. */
export function FilesView({ session }: { session: Session }) {
  const { api } = useHub();
  const [dir, setDir] = useState('');
  const [entries, setEntries] = useState<DirectoryEntry[] | null>(null);
  const [file, setFile] = useState<{ path: string; text: FileText } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setEntries(null);
    setError(null);
    api.listDirectory(session.id, dir).then(
      (r) => {
        if (!live) return;
        if (!r.success) return setError(r.error ?? 'The folder could not be listed.');
        setEntries(r.entries ?? []);
      },
      (err) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [session.id, dir]);

  const open = async (path: string) => {
    setError(null);
    try {
      const r = await api.readFile(session.id, path);
      if (!r.success) throw new Error(r.error ?? 'The file could not be read.');
      setFile({ path, text: decodeFile(r.content ?? '') });
    } catch (err) {
      setError(errorText(err));
    }
  };

  const root = session.metadata?.path ?? 'session folder';
  return (
    <section class="files" aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>
      <p class="crumbs path-crumbs">
        <button type="button" class="btn-link" onClick={() => (setDir(''), setFile(null))}>
          {root.split('/').filter(Boolean).pop() ?? root}
        </button>
        {dir
          .split('/')
          .filter(Boolean)
          .map((part, i, all) => (
            <span key={i}>
              {' / '}
              <button type="button" class="btn-link" onClick={() => (setDir(all.slice(0, i + 1).join('/')), setFile(null))}>
                {part}
              </button>
            </span>
          ))}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {file ? (
        <div class="file-view">
          <div class="view-head">
            <h3 class="file-name">{file.path}</h3>
            <button type="button" class="btn btn-secondary btn-small" onClick={() => setFile(null)}>
              Back to the folder
            </button>
          </div>
          {file.text.kind === 'binary' ? (
            <p class="muted">Binary file ({size(file.text.bytes)}), not shown.</p>
          ) : (
            <>
              <CodeBlock code={file.text.text} lang={languageForPath(file.path)} />
              {file.text.truncated && <p class="muted">Only the first 512 KB are shown.</p>}
            </>
          )}
        </div>
      ) : entries === null ? (
        !error && (
          <p class="muted" role="status">
            Listing…
          </p>
        )
      ) : (
        <nav aria-label={`Files in ${dir || root}`} class="dir-list">
          <ul class="plain">
            {dir && (
              <li>
                <button type="button" class="dir" onClick={() => setDir(parentPath(dir))}>
                  ↑ Parent folder
                </button>
              </li>
            )}
            {entries.length === 0 && <li class="muted dir-empty">This folder is empty.</li>}
            {entries.map((e) => (
              <li key={e.name}>
                <button type="button" class={`dir${e.type === 'directory' ? '' : ' dir-file'}`} onClick={() => (e.type === 'directory' ? setDir(joinPath(dir, e.name)) : void open(joinPath(dir, e.name)))}>
                  {e.name}
                  {e.type === 'directory' ? '/' : <span class="muted dir-size"> {size(e.size)}</span>}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </section>
  );
}
