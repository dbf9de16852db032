import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../lib/api-error.js';
import { errorText, useHub } from '../lib/hub.js';
import { linkClick } from '../lib/router.js';
import { AGENTS, CLAUDE_EFFORTS, MODE_LABELS, permissionModes, staticModels } from '../lib/agent-config.js';
import type { LiveList } from '../lib/use-live-list.js';
import type { CodexModel, Machine, SpawnRequest, SpawnResult } from '../lib/types.js';
import { DirectoryBrowser } from '../components/directory-browser.js';
import { machineName } from './machines.js';

function startDir(m: Machine | undefined): string {
  return m?.metadata?.workspaceRoots?.[0] ?? m?.metadata?.homeDir ?? '';
}

type Availability = { kind: 'loading' } | { kind: 'known'; agents: Map<string, { available: boolean; reason?: string }> } | { kind: 'unknown'; note: string };

const REASONS: Record<string, string> = { not_found: 'not installed', invalid_configuration: 'misconfigured' };

/** Which agents the machine's runner can start (HAPI's agent-availability), when it says. */
function useAvailability(machine: Machine | undefined): Availability {
  const { api } = useHub();
  const [state, setState] = useState<Availability>({ kind: 'loading' });
  const machineId = machine?.id;
  // Only a runner that advertises it can answer (HAPI answers 409 "must be upgraded" otherwise).
  const advertised = Array.isArray(machine?.metadata?.capabilities) && (machine.metadata.capabilities as unknown[]).includes('agent-availability');
  useEffect(() => {
    if (!machineId) return;
    if (!advertised) return setState({ kind: 'unknown', note: 'This runner does not report which agents it has; any may fail to start.' });
    let live = true;
    setState({ kind: 'loading' });
    api.agentAvailability(machineId).then(
      (r) => live && setState({ kind: 'known', agents: new Map((r.agents ?? []).map((a) => [a.agent, { available: a.available, reason: a.reason }])) }),
      (err) =>
        live &&
        setState({
          kind: 'unknown',
          note: err instanceof ApiError && err.status === 409 ? 'This runner is too old to say which agents it has; any may fail to start.' : 'The hub does not say which agents this machine has.',
        }),
    );
    return () => {
      live = false;
    };
  }, [machineId, advertised]);
  return state;
}

/** Codex's models come from the machine's own catalog. */
function useCodexModels(machineId: string | undefined, agent: string): CodexModel[] | null {
  const { api } = useHub();
  const [models, setModels] = useState<CodexModel[] | null>(null);
  useEffect(() => {
    if (!machineId || agent !== 'codex') return setModels(null);
    let live = true;
    api.machineCodexModels(machineId).then(
      (r) => live && setModels(r.success ? (r.models ?? []) : []),
      () => live && setModels([]),
    );
    return () => {
      live = false;
    };
  }, [machineId, agent]);
  return models;
}

/** Start a session on an online machine: the machine, the folder, the agent and its settings. */
export function SpawnView({ machines, machineId }: { machines: LiveList<Machine>; machineId?: string }) {
  const { api } = useHub();
  const [picked, setPicked] = useState(machineId ?? '');
  const [dir, setDir] = useState('');
  const [agent, setAgent] = useState('');
  const [model, setModel] = useState('');
  const [effort, setEffort] = useState('');
  const [mode, setMode] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SpawnResult | null>(null);
  const machine = machines.items.find((m) => m.id === picked);
  const availability = useAvailability(machine);
  const codexModels = useCodexModels(machine?.id, agent);

  useEffect(() => {
    if (!picked && machines.items[0]) setPicked(machines.items[0].id);
  }, [machines.items, picked]);
  useEffect(() => setDir(startDir(machine)), [machine?.id]);
  useEffect(() => (setModel(''), setEffort(''), setMode('')), [agent]);

  const availableOf = (a: string) => (availability.kind === 'known' ? availability.agents.get(a) : undefined);
  const presets = agent ? staticModels(agent) : null;
  const models: Array<[string, string]> = presets ?? (codexModels ?? []).map((m) => [m.id, m.displayName ?? m.id]);
  const efforts = agent === 'claude' ? CLAUDE_EFFORTS : agent === 'codex' ? (codexModels?.find((m) => m.id === model)?.supportedReasoningEfforts ?? ['low', 'medium', 'high']).map((e) => [e, e] as [string, string]) : [];

  const spawn = async (e: Event) => {
    e.preventDefault();
    if (!machine || !dir.trim()) return;
    setBusy(true);
    setResult(null);
    const body: SpawnRequest = { directory: dir.trim() };
    if (agent) body.agent = agent;
    if (model) body.model = model;
    if (effort && agent === 'codex') body.modelReasoningEffort = effort;
    else if (effort) body.effort = effort;
    if (mode) body.permissionMode = mode;
    try {
      setResult(await api.spawn(machine.id, body));
    } catch (err) {
      setResult({ type: 'error', message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const chosen = agent ? availableOf(agent) : undefined;
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
          {machine?.metadata?.workspaceRoots?.length ? <p class="help">Allowed roots: {machine.metadata.workspaceRoots.join(', ')}</p> : null}
          {machine && <DirectoryBrowser machineId={machine.id} path={dir} onPick={setDir} />}
          <label for="spawn-agent">Agent</label>
          <select id="spawn-agent" value={agent} aria-describedby="agent-help" onChange={(e) => setAgent((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Runner default</option>
            {AGENTS.map(([value, label]) => {
              const a = availableOf(value);
              return (
                <option key={value} value={value} disabled={a?.available === false}>
                  {label}
                  {a?.available === false ? ` (${REASONS[a.reason ?? ''] ?? 'unavailable'})` : ''}
                </option>
              );
            })}
          </select>
          <p id="agent-help" class="help" data-testid="agent-availability">
            {availability.kind === 'loading' ? 'Asking the machine which agents it has…' : availability.kind === 'unknown' ? availability.note : `${[...availability.agents.values()].filter((a) => a.available).length} agents available on this machine.`}
            {chosen?.available === false ? ' The chosen agent is not available there.' : ''}
          </p>
          {agent && (
            <div class="controls-grid">
              <div>
                <label for="spawn-model">Model</label>
                {models.length > 0 ? (
                  <select id="spawn-model" value={model} onChange={(e) => setModel((e.currentTarget as HTMLSelectElement).value)}>
                    <option value="">Agent default</option>
                    {models.map(([id, label]) => (
                      <option key={id} value={id}>
                        {label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input id="spawn-model" value={model} placeholder={agent === 'codex' && codexModels === null ? 'Loading models…' : 'Agent default'} onInput={(e) => setModel((e.currentTarget as HTMLInputElement).value)} />
                )}
              </div>
              {efforts.length > 0 && (
                <div>
                  <label for="spawn-effort">{agent === 'codex' ? 'Reasoning effort' : 'Effort'}</label>
                  <select id="spawn-effort" value={effort} onChange={(e) => setEffort((e.currentTarget as HTMLSelectElement).value)}>
                    <option value="">Default</option>
                    {efforts.map(([id, label]) => (
                      <option key={id} value={id}>
                        {label}
                      </option>
                    ))}
                  </select>
                </div>
              )}
              {permissionModes(agent).length > 0 && (
                <div>
                  <label for="spawn-mode">Permission mode</label>
                  <select id="spawn-mode" value={mode} onChange={(e) => setMode((e.currentTarget as HTMLSelectElement).value)}>
                    <option value="">Default</option>
                    {permissionModes(agent).map((m) => (
                      <option key={m} value={m}>
                        {MODE_LABELS[m] ?? m}
                      </option>
                    ))}
                  </select>
                </div>
              )}
            </div>
          )}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy || !dir.trim() || chosen?.available === false}>
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
