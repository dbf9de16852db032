import { useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import { pendingRequests } from '../lib/session-view.js';
import type { Session } from '../lib/types.js';

function argsText(args: unknown): string {
  if (args == null) return '';
  const text = typeof args === 'string' ? args : JSON.stringify(args, null, 2);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** The agent's pending permission requests, each with Approve and Deny. */
export function Permissions({ session }: { session: Session }) {
  const { api } = useHub();
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const requests = pendingRequests(session);
  if (requests.length === 0) return null;

  const answer = async (requestId: string, approve: boolean) => {
    setBusy((b) => ({ ...b, [requestId]: approve ? 'Approving…' : 'Denying…' }));
    setError(null);
    try {
      await api.answerPermission(session.id, requestId, approve);
      setBusy((b) => ({ ...b, [requestId]: approve ? 'Approved' : 'Denied' }));
    } catch (err) {
      setBusy((b) => {
        const { [requestId]: _, ...rest } = b;
        return rest;
      });
      setError(errorText(err));
    }
  };

  return (
    <section class="permissions" aria-labelledby="perm-title">
      <h2 id="perm-title">
        {requests.length === 1 ? 'The agent asks for permission' : `The agent asks for ${requests.length} permissions`}
      </h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="plain">
        {requests.map(([rid, req]) => (
          <li key={rid} class="perm" data-request-id={rid}>
            <p class="perm-tool">
              Tool: <strong>{req.tool ?? 'unknown'}</strong>
            </p>
            {req.arguments != null && <pre class="perm-args" tabIndex={0} aria-label={`Arguments for ${req.tool ?? 'the tool'}`}>{argsText(req.arguments)}</pre>}
            {busy[rid] ? (
              <p class="muted" role="status">
                {busy[rid]}
              </p>
            ) : (
              <div class="row">
                <button type="button" class="btn btn-primary" onClick={() => void answer(rid, true)}>
                  Approve<span class="sr-only"> {req.tool}</span>
                </button>
                <button type="button" class="btn btn-danger" onClick={() => void answer(rid, false)}>
                  Deny<span class="sr-only"> {req.tool}</span>
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
