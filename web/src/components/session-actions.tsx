import { useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { navigate } from '../lib/router.js';
import { sessionTitle } from '../lib/session-view.js';
import type { Session } from '../lib/types.js';

/** Rename, abort and archive (archive asks once more, inline). */
export function SessionActions({ session, onRenamed }: { session: Session; onRenamed: (name: string) => void }) {
  const { api } = useHub();
  const [mode, setMode] = useState<'idle' | 'rename' | 'archive'>('idle');
  const [name, setName] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (label: string, fn: () => Promise<unknown>, done: string) => {
    setError(null);
    setStatus(label);
    try {
      await fn();
      setStatus(done);
      return true;
    } catch (err) {
      setStatus(null);
      setError(errorText(err));
      return false;
    }
  };

  const rename = async (e: Event) => {
    e.preventDefault();
    const value = name.trim();
    if (!value) return setError('Enter a name.');
    if (await run('Renaming…', () => api.rename(session.id, value), 'Renamed.')) {
      onRenamed(value);
      setMode('idle');
    }
  };

  const archive = async () => {
    if (await run('Archiving…', () => api.archive(session.id), 'Archived.')) navigate('/');
  };

  return (
    <div class="actions">
      {mode === 'rename' ? (
        <form class="row rename" onSubmit={rename}>
          <label for="session-name" class="sr-only">
            Session name
          </label>
          <input id="session-name" value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          <button type="submit" class="btn btn-primary">
            Save name
          </button>
          <button type="button" class="btn btn-quiet" onClick={() => setMode('idle')}>
            Cancel
          </button>
        </form>
      ) : mode === 'archive' ? (
        <div class="row" role="group" aria-label="Confirm archive">
          <span>Archive this session? It stops and leaves the active list.</span>
          <button type="button" class="btn btn-danger" onClick={() => void archive()}>
            Yes, archive
          </button>
          <button type="button" class="btn btn-quiet" onClick={() => setMode('idle')}>
            Cancel
          </button>
        </div>
      ) : (
        <div class="row">
          <button type="button" class="btn btn-secondary" onClick={() => (setName(sessionTitle(session)), setMode('rename'))}>
            Rename
          </button>
          <button type="button" class="btn btn-secondary" disabled={!session.active} onClick={() => void run('Stopping the agent…', () => api.abort(session.id), 'Abort sent.')}>
            Abort
          </button>
          <button type="button" class="btn btn-secondary" onClick={() => setMode('archive')}>
            Archive
          </button>
        </div>
      )}
      <p class="help" role="status" aria-live="polite">
        {status}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
