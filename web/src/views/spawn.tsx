import { useEffect, useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { linkClick } from '../lib/router.js';
import type { LiveList } from '../lib/use-live-list.js';
import type { Machine, SpawnResult } from '../lib/types.js';
import { DirectoryBrowser } from '../components/directory-browser.js';
import { machineName } from './machines.js';

const AGENTS = [
  ['', 'Runner default'],
  ['claude', 'Claude Code'],
  ['codex', 'Codex'],
  ['gemini', 'Gemini'],
  ['opencode', 'OpenCode'],
] as const;

function startDir(m: Machine | undefined): string {
  return m?.metadata?.workspaceRoots?.[0] ?? m?.metadata?.homeDir ?? '';
}

/** Start a session on an online machine: pick the machine, the folder and the agent. */
export function SpawnView({ machines, machineId }: { machines: LiveList<Machine>; machineId?: string }) {
  const { api } = useHub();
  const [picked, setPicked] = useState(machineId ?? '');
  const [dir, setDir] = useState('');
  const [agent, setAgent] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SpawnResult | null>(null);
  const machine = machines.items.find((m) => m.id === picked);

  useEffect(() => {
    if (!picked && machines.items[0]) setPicked(machines.items[0].id);
  }, [machines.items, picked]);
  useEffect(() => setDir(startDir(machine)), [machine?.id]);

  const spawn = async (e: Event) => {
    e.preventDefault();
    if (!machine || !dir.trim()) return;
    setBusy(true);
    setResult(null);
    try {
      setResult(await api.spawn(machine.id, dir.trim(), agent || undefined));
    } catch (err) {
      setResult({ type: 'error', message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="spawn-title">
      <div class="view-head">
        <h1 id="spawn-title">New session</h1>
      </div>
      {machines.loading ? (
        <p class="muted" role="status">
          Loading machines…
        </p>
      ) : machines.items.length === 0 ? (
        <div class="empty">
          <h2>No machine is online</h2>
          <p>
            Start a runner with <code>hapi runner start</code> and your access token; it appears here within seconds.
          </p>
        </div>
      ) : (
        <form class="card form" onSubmit={spawn}>
          <label for="spawn-machine">Machine</label>
          <select id="spawn-machine" value={picked} onChange={(e) => setPicked((e.currentTarget as HTMLSelectElement).value)}>
            {machines.items.map((m) => (
              <option key={m.id} value={m.id}>
                {machineName(m)} ({m.metadata?.host ?? m.id.slice(0, 8)})
              </option>
            ))}
          </select>
          <label for="spawn-dir">Folder on the machine</label>
          <input id="spawn-dir" value={dir} spellcheck={false} placeholder="/srv/projects/app" onInput={(e) => setDir((e.currentTarget as HTMLInputElement).value)} />
          {machine?.metadata?.workspaceRoots?.length ? (
            <p class="help">Allowed roots: {machine.metadata.workspaceRoots.join(', ')}</p>
          ) : null}
          {machine && <DirectoryBrowser machineId={machine.id} path={dir} onPick={setDir} />}
          <label for="spawn-agent">Agent</label>
          <select id="spawn-agent" value={agent} onChange={(e) => setAgent((e.currentTarget as HTMLSelectElement).value)}>
            {AGENTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy || !dir.trim()}>
            {busy ? 'Starting… (the runner may take a few seconds)' : 'Start session'}
          </button>
          <SpawnOutcome result={result} />
        </form>
      )}
    </section>
  );
}

function SpawnOutcome({ result }: { result: SpawnResult | null }) {
  if (!result) return null;
  if (result.type === 'success') {
    return (
      <p class="success" role="status" data-testid="spawn-result">
        Session started.{' '}
        <a href={`/sessions/${encodeURIComponent(result.sessionId)}`} onClick={linkClick}>
          Open it
        </a>
      </p>
    );
  }
  return (
    <p class="error" role="alert" data-testid="spawn-result">
      The machine could not start the session: {result.message}
    </p>
  );
}
