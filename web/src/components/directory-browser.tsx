import { useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import type { DirectoryEntry } from '../lib/types.js';

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function parent(dir: string): string {
  const trimmed = dir.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i <= 0 ? '/' : trimmed.slice(0, i);
}

/** Lists the folders of `path` on the machine (through its runner) and lets the user walk them. */
export function DirectoryBrowser({ machineId, path, onPick }: { machineId: string; path: string; onPick: (p: string) => void }) {
  const { api } = useHub();
  const [listing, setListing] = useState<{ path: string; entries: DirectoryEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const browse = async (dir: string) => {
    if (!dir.trim()) return setError('Type a folder first.');
    setBusy(true);
    setError(null);
    try {
      const res = await api.listMachineDirectory(machineId, dir);
      if (!res.success) throw new Error(res.error ?? 'The machine could not list that folder.');
      setListing({ path: dir, entries: (res.entries ?? []).filter((e) => e.type === 'directory') });
      onPick(dir);
    } catch (err) {
      setListing(null);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="browser">
      <button type="button" class="btn btn-secondary" onClick={() => void browse(path)} disabled={busy}>
        {busy ? 'Listing…' : 'Browse folders'}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {listing && listing.path === path && (
        <nav aria-label={`Folders in ${listing.path}`} class="dir-list">
          <ul class="plain">
            {listing.path !== '/' && (
              <li>
                <button type="button" class="dir" onClick={() => void browse(parent(listing.path))}>
                  ↑ Parent folder
                </button>
              </li>
            )}
            {listing.entries.length === 0 && <li class="muted dir-empty">No folders in {listing.path}</li>}
            {listing.entries.map((e) => (
              <li key={e.name}>
                <button type="button" class="dir" onClick={() => void browse(join(listing.path, e.name))}>
                  {e.name}/
                </button>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </div>
  );
}
