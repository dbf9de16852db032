import { useEffect, useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { CLAUDE_EFFORTS, effortKind, MODE_LABELS, permissionModes, staticModels, supportsModelChange } from '../lib/agent-config.js';
import type { CodexModel, Session } from '../lib/types.js';

/**
 * Steering the agent: permission mode, model and effort (each applied at once through HAPI's
 * per-session routes), and handing a terminal-started session over to remote control.
 */
export function SessionControls({ session }: { session: Session }) {
  const { api } = useHub();
  const flavor = session.metadata?.flavor;
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [codexModels, setCodexModels] = useState<CodexModel[] | null>(null);
  const modes = permissionModes(flavor);
  const presets = staticModels(flavor);
  const effort = effortKind(flavor);
  const local = session.agentState?.controlledByUser === true;

  useEffect(() => {
    if (flavor !== 'codex' || !session.active) return;
    api.sessionCodexModels(session.id).then(
      (r) => setCodexModels(r.success ? (r.models ?? []) : []),
      () => setCodexModels([]),
    );
  }, [session.id, flavor, session.active]);

  const apply = async (label: string, fn: () => Promise<unknown>) => {
    setError(null);
    setStatus(`Switching ${label}…`);
    try {
      await fn();
      setStatus(`${label[0]!.toUpperCase()}${label.slice(1)} switched.`);
    } catch (err) {
      setStatus(null);
      setError(errorText(err));
    }
  };

  if (!session.active) return null;
  const model = session.model ?? '';
  const models: Array<[string, string]> = presets ?? (codexModels ?? []).map((m) => [m.id, m.displayName ?? m.id]);
  if (model && !models.some(([id]) => id === model)) models.unshift([model, model]);
  const reasoning = codexModels?.find((m) => m.id === model)?.supportedReasoningEfforts ?? ['low', 'medium', 'high', 'xhigh'];

  return (
    <div class="controls-wrap">
      {local && (
        <p class="notice">
          This session is driven from its terminal.{' '}
          <button type="button" class="btn btn-secondary btn-small" onClick={() => void apply('control to remote', () => api.switchToRemote(session.id))}>
            Switch to remote
          </button>
        </p>
      )}
    <details class="controls" data-testid="session-controls">
      <summary>
        Agent settings
        <span class="muted controls-now">
          {' '}
          {MODE_LABELS[session.permissionMode ?? 'default'] ?? session.permissionMode ?? 'default'}
          {session.model ? ` · ${session.model}` : ''}
        </span>
      </summary>
      <div class="controls-grid">
        {modes.length > 0 && (
          <div>
            <label for="perm-mode">Permission mode</label>
            <select id="perm-mode" value={session.permissionMode ?? 'default'} onChange={(e) => void apply('permission mode', () => api.setPermissionMode(session.id, (e.currentTarget as HTMLSelectElement).value))}>
              {modes.map((m) => (
                <option key={m} value={m}>
                  {MODE_LABELS[m] ?? m}
                </option>
              ))}
            </select>
          </div>
        )}
        {supportsModelChange(flavor) && (
          <div>
            <label for="model">Model</label>
            {models.length > 0 || presets ? (
              <select id="model" value={model} onChange={(e) => void apply('model', () => api.setModel(session.id, (e.currentTarget as HTMLSelectElement).value || null))}>
                <option value="">Agent default</option>
                {models.map(([id, label]) => (
                  <option key={id} value={id}>
                    {label}
                  </option>
                ))}
              </select>
            ) : (
              <form class="row" onSubmit={(e) => (e.preventDefault(), void apply('model', () => api.setModel(session.id, ((e.currentTarget as HTMLFormElement).elements.namedItem('model') as HTMLInputElement).value.trim() || null)))}>
                <input id="model" name="model" placeholder={codexModels === null && flavor === 'codex' ? 'Loading models…' : 'Model id'} defaultValue={model} />
                <button type="submit" class="btn btn-secondary btn-small">
                  Set model
                </button>
              </form>
            )}
          </div>
        )}
        {effort === 'effort' && (
          <div>
            <label for="effort">Effort</label>
            <select id="effort" value={session.effort ?? ''} onChange={(e) => void apply('effort', () => api.setEffort(session.id, (e.currentTarget as HTMLSelectElement).value || null))}>
              <option value="">Agent default</option>
              {CLAUDE_EFFORTS.map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        )}
        {effort === 'reasoning' && (
          <div>
            <label for="reasoning">Reasoning effort</label>
            <select id="reasoning" value={session.modelReasoningEffort ?? ''} onChange={(e) => void apply('reasoning effort', () => api.setReasoningEffort(session.id, (e.currentTarget as HTMLSelectElement).value || null))}>
              <option value="">Model default</option>
              {reasoning.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
    </details>
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
