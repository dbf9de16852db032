import { useRef, useState } from 'preact/hooks';
import { errorText, useHub } from '../lib/hub.js';
import type { Attachment } from '../lib/chat/normalize.js';
import { parseSchedule, toLocalInput } from '../lib/schedule.js';
import type { SendOptions } from '../lib/use-session.js';
import { uuid } from '../lib/uuid.js';

/** HAPI's upload limit (the hub refuses larger files with 413). */
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

interface Pending {
  key: string;
  name: string;
  state: 'uploading' | 'ready' | 'failed';
  attachment?: Attachment;
  error?: string;
}

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(new Error(`Could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

interface Props {
  sessionId: string;
  active: boolean;
  /** The agent takes steering (a message into the running turn) instead of queueing it. */
  canSteer: boolean;
  busy: boolean;
  onSend: (text: string, opts: SendOptions) => Promise<boolean>;
}

/** The message box: Enter sends (Shift+Enter for a new line); attachments; schedule; steer. */
export function Composer({ sessionId, active, canSteer, busy: agentBusy, onSend }: Props) {
  const { api } = useHub();
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [files, setFiles] = useState<Pending[]>([]);
  const [scheduling, setScheduling] = useState(false);
  const [when, setWhen] = useState('');
  const [steer, setSteer] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const ready = files.filter((f) => f.state === 'ready' && f.attachment).map((f) => f.attachment!);
  const uploading = files.some((f) => f.state === 'uploading');

  const attach = async (list: FileList | null) => {
    setError(null);
    for (const file of Array.from(list ?? [])) {
      const key = uuid();
      if (file.size > MAX_UPLOAD_BYTES) {
        setFiles((f) => [...f, { key, name: file.name, state: 'failed', error: 'larger than 50 MB' }]);
        continue;
      }
      setFiles((f) => [...f, { key, name: file.name, state: 'uploading' }]);
      try {
        const mimeType = file.type || 'application/octet-stream';
        const res = await api.upload(sessionId, file.name, await readBase64(file), mimeType);
        if (!res.success || !res.path) throw new Error((!res.success && res.error) || 'The agent could not store the file.');
        const attachment: Attachment = { id: key, filename: file.name, mimeType, size: file.size, path: res.path };
        setFiles((f) => f.map((p) => (p.key === key ? { ...p, state: 'ready', attachment } : p)));
      } catch (err) {
        setFiles((f) => f.map((p) => (p.key === key ? { ...p, state: 'failed', error: errorText(err) } : p)));
      }
    }
    if (input.current) input.current.value = '';
  };

  const remove = (p: Pending) => {
    setFiles((f) => f.filter((x) => x.key !== p.key));
    if (p.attachment) void api.deleteUpload(sessionId, p.attachment.path).catch(() => undefined);
  };

  const submit = async (e?: Event) => {
    e?.preventDefault();
    const value = text.trim();
    if ((!value && ready.length === 0) || sending || uploading) return;
    const opts: SendOptions = {};
    if (ready.length) opts.attachments = ready;
    if (scheduling) {
      const s = parseSchedule(when, Date.now());
      if ('error' in s) return setError(s.error);
      if (ready.length) return setError('A scheduled message cannot carry attachments.');
      opts.scheduledAt = s.at;
    } else if (canSteer && steer && agentBusy) opts.deliveryMode = 'steer';
    setError(null);
    setSending(true);
    setText('');
    const ok = await onSend(value, opts);
    if (ok) {
      setFiles([]);
      setScheduling(false);
    } else setText(value);
    setSending(false);
  };

  return (
    <form class="composer" onSubmit={submit} noValidate>
      <label for="message-text">Message to the agent</label>
      <textarea
        id="message-text"
        rows={3}
        value={text}
        aria-describedby="composer-help"
        onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) void submit(e);
        }}
      />
      {files.length > 0 && (
        <ul class="attachments" aria-label="Files to send">
          {files.map((f) => (
            <li key={f.key} class={`chip chip-${f.state}`}>
              📎 {f.name} <span class="muted">{f.state === 'uploading' ? 'uploading…' : f.state === 'failed' ? `not attached: ${f.error}` : 'attached'}</span>
              <button type="button" class="btn-link" onClick={() => remove(f)}>
                Remove<span class="sr-only"> {f.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {scheduling && (
        <div class="schedule">
          <label for="schedule-at">Deliver at</label>
          <input id="schedule-at" type="datetime-local" value={when} min={toLocalInput(Date.now())} onInput={(e) => setWhen((e.currentTarget as HTMLInputElement).value)} />
        </div>
      )}
      {canSteer && agentBusy && !scheduling && (
        <label class="choice">
          <input type="checkbox" checked={steer} onChange={(e) => setSteer((e.currentTarget as HTMLInputElement).checked)} />
          <span>Steer: put it into the running turn instead of queueing it</span>
        </label>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row row-between composer-row">
        <div class="row">
          <input ref={input} id="attach-files" type="file" multiple class="sr-only" onChange={(e) => void attach((e.currentTarget as HTMLInputElement).files)} />
          <label for="attach-files" class="btn btn-quiet btn-small file-label">
            Attach files
          </label>
          <button
            type="button"
            class="btn btn-quiet btn-small"
            aria-pressed={scheduling}
            onClick={() => {
              setScheduling(!scheduling);
              if (!when) setWhen(toLocalInput(Date.now() + 60 * 60 * 1000));
            }}
          >
            Schedule
          </button>
        </div>
        <button type="submit" class="btn btn-primary" disabled={sending || uploading || (!text.trim() && ready.length === 0)}>
          {scheduling ? 'Schedule message' : 'Send'}
        </button>
      </div>
      <p id="composer-help" class="help">
        {active ? 'Enter sends, Shift+Enter adds a line.' : 'The session is inactive; the hub may refuse new messages until it is resumed.'}
      </p>
    </form>
  );
}
