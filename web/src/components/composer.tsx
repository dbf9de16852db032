import { useState } from 'preact/hooks';

/** The message box: Enter sends (Shift+Enter for a new line). */
export function Composer({ active, onSend }: { active: boolean; onSend: (text: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e?: Event) => {
    e?.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    setBusy(true);
    setText('');
    const ok = await onSend(value);
    if (!ok) setText(value);
    setBusy(false);
  };

  return (
    <form class="composer" onSubmit={submit}>
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
      <div class="row row-between">
        <p id="composer-help" class="help">
          {active ? 'Enter sends, Shift+Enter adds a line.' : 'The session is inactive; the hub may refuse new messages until it is resumed.'}
        </p>
        <button type="submit" class="btn btn-primary" disabled={busy || !text.trim()}>
          Send
        </button>
      </div>
    </form>
  );
}
