import { useEffect, useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { disablePush, enablePush, pushStatus, type PushStatus } from '../lib/push.js';
import { browserPushEnv } from '../lib/pwa.js';

const STATUS_TEXT: Record<PushStatus, string> = {
  unsupported: 'This browser cannot receive notifications from the page (on iPhone, add teamhub to the home screen first).',
  blocked: 'Notifications are blocked for this site. Allow them in the browser settings, then come back.',
  off: 'Off on this device.',
  on: 'On: this device is told when an agent asks for permission or finishes a turn, while teamhub is not open here.',
};

/** Per-device settings: Web Push notifications for this namespace. */
export function SettingsView() {
  const { api, ns } = useHub();
  const [status, setStatus] = useState<PushStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const env = browserPushEnv();

  useEffect(() => {
    pushStatus(env).then(setStatus, (err) => (setStatus('off'), setError(errorText(err))));
  }, []);

  const toggle = async (on: boolean) => {
    setBusy(true);
    setError(null);
    try {
      setStatus(await (on ? enablePush(env, api) : disablePush(env, api)));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const download = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const blob = await api.exportNamespace();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `teamhub-${ns}-${new Date().toISOString().slice(0, 10)}.jsonl`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    } catch (err) {
      setExportError(errorText(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <section aria-labelledby="settings-title">
      <div class="view-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <div class="card">
        <h2>Notifications on this device</h2>
        <p data-testid="push-status">{status ? STATUS_TEXT[status] : 'Checking…'}</p>
        <p class="help">Only your namespace ({ns}) notifies this device; a tap opens the session.</p>
        {status === 'off' && (
          <button type="button" class="btn btn-primary" disabled={busy} onClick={() => void toggle(true)}>
            {busy ? 'Turning on…' : 'Turn on notifications'}
          </button>
        )}
        {status === 'on' && (
          <button type="button" class="btn btn-secondary" disabled={busy} onClick={() => void toggle(false)}>
            {busy ? 'Turning off…' : 'Turn off notifications'}
          </button>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <div class="card">
        <h2>Your data</h2>
        <p class="help">Everything your namespace ({ns}) holds: sessions, their messages and machines, as one JSON Lines file.</p>
        <button type="button" class="btn btn-secondary" data-testid="export-namespace" disabled={exporting} onClick={() => void download()}>
          {exporting ? 'Preparing the export…' : 'Download an export'}
        </button>
        {exportError && (
          <p class="error" role="alert">
            {exportError}
          </p>
        )}
      </div>
    </section>
  );
}
