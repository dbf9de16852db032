// The web terminal: xterm.js on the session's machine, through HAPI's `/terminal` Socket.IO
// namespace (the hub relays keystrokes to the session's CLI, which runs a shell, and its output
// back). This module and xterm load only when the Terminal tab opens.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { io, type Socket } from 'socket.io-client';
import '@xterm/xterm/css/xterm.css';
import { useHub } from '../lib/hub.js';
import type { Session } from '../lib/types.js';
import { uuid } from '../lib/uuid.js';

type TermStatus = 'connecting' | 'open' | 'exited' | 'error';

/** One terminal id per session and tab, so a reconnect reattaches to the same shell. */
function terminalId(sessionId: string): string {
  const key = `teamhub:terminal:${sessionId}`;
  try {
    const existing = sessionStorage.getItem(key);
    if (existing) return existing;
    const id = uuid();
    sessionStorage.setItem(key, id);
    return id;
  } catch {
    return uuid();
  }
}

export function TerminalView({ session }: { session: Session }) {
  const { auth } = useHub();
  const box = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<TermStatus>('connecting');
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    if (!box.current || !session.active) return;
    const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 13, scrollback: 2000, theme: { background: '#10151c' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current);
    fit.fit();
    const id = terminalId(session.id);
    let socket: Socket | null = null;
    let closed = false;

    void auth.jwt().then((token) => {
      if (closed) return;
      socket = io('/terminal', { path: '/socket.io/', auth: { token, sessionId: session.id }, reconnectionAttempts: 5 });
      const s = socket;
      s.on('connect', () => {
        setStatus('connecting');
        s.emit('terminal:create', { sessionId: session.id, terminalId: id, cols: term.cols, rows: term.rows });
      });
      s.on('terminal:ready', (d: { terminalId?: string }) => d?.terminalId === id && (setStatus('open'), setMessage(null)));
      s.on('terminal:output', (d: { terminalId?: string; data?: string }) => {
        if (d?.terminalId !== id || typeof d.data !== 'string') return;
        setStatus('open');
        term.write(d.data);
      });
      s.on('terminal:exit', (d: { terminalId?: string; code?: number | null }) => {
        if (d?.terminalId !== id) return;
        setStatus('exited');
        setMessage(`The shell exited${typeof d.code === 'number' ? ` with code ${d.code}` : ''}.`);
      });
      s.on('terminal:error', (d: { terminalId?: string; message?: string }) => {
        if (d?.terminalId && d.terminalId !== id) return;
        setStatus('error');
        setMessage(d?.message ?? 'The terminal failed.');
      });
      s.on('connect_error', (err: Error) => {
        setStatus('error');
        setMessage(`Cannot reach the terminal: ${err.message}`);
      });
    });

    const input = term.onData((data) => socket?.emit('terminal:write', { terminalId: id, data }));
    const resize = term.onResize(({ cols, rows }) => socket?.emit('terminal:resize', { terminalId: id, cols, rows }));
    const onWindowResize = () => fit.fit();
    window.addEventListener('resize', onWindowResize);
    return () => {
      closed = true;
      window.removeEventListener('resize', onWindowResize);
      input.dispose();
      resize.dispose();
      socket?.emit('terminal:close', { terminalId: id });
      socket?.close();
      term.dispose();
    };
  }, [session.id, session.active]);

  if (!session.active) {
    return (
      <section class="terminal" aria-labelledby="term-title">
        <h2 id="term-title">Terminal</h2>
        <p class="muted">The session is inactive: a terminal needs its CLI running on the machine.</p>
      </section>
    );
  }
  return (
    <section class="terminal" aria-labelledby="term-title">
      <div class="view-head">
        <h2 id="term-title">Terminal</h2>
        <span class={`term-status term-${status}`} role="status" data-testid="terminal-status">
          {status === 'open' ? 'Connected' : status === 'connecting' ? 'Connecting…' : status === 'exited' ? 'Exited' : 'Not connected'}
        </span>
      </div>
      {message && (
        <p class={status === 'error' ? 'error' : 'notice'} role="alert">
          {message}
        </p>
      )}
      <div ref={box} class="term-box" data-testid="terminal" />
      <p class="help">A shell in {session.metadata?.path ?? 'the session folder'} on {session.metadata?.host ?? 'the machine'}.</p>
    </section>
  );
}
