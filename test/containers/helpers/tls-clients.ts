import https from 'node:https';
import { io, type Socket } from 'socket.io-client';
import { waitFor } from '../../helpers/ports.js';

export interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export interface CliSocket {
  socket: Socket;
  received: Array<{ event: string; args: unknown[] }>;
  events(event: string): any[];
  waitEvent(event: string, pred?: (arg: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

export interface SseStream {
  status: number;
  frames: any[];
  close(): void;
}

/**
 * A client of the hub through Caddy, as the outside world sees it: HTTPS to
 * `https://localhost:<port>` (the port Caddy publishes on loopback) verified against Caddy's own
 * local CA, and Socket.IO websockets the way the hapi CLI opens them.
 */
export class HubClient {
  private readonly agent: https.Agent;

  constructor(
    readonly base: string,
    private readonly ca: string,
  ) {
    this.agent = new https.Agent({ ca, keepAlive: true, maxSockets: 32, family: 4 });
  }

  request(method: string, path: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<HttpsResult> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.base}${path}`, { method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * A `/cli` socket (websocket only, `auth:{token, clientType, sessionId|machineId}`); resolves
   * once connected. With `reconnect`, it reconnects by itself like the hapi CLI does.
   */
  cliSocket(token: string, scope: { sessionId?: string; machineId?: string }, opts: { reconnect?: boolean } = {}): Promise<CliSocket> {
    const auth: Record<string, unknown> = { token, clientType: scope.machineId ? 'machine-scoped' : 'session-scoped', ...scope };
    const socket = io(`${this.base}/cli`, {
      path: '/socket.io/',
      transports: ['websocket'],
      auth,
      ca: this.ca,
      family: 4,
      forceNew: true,
      reconnection: opts.reconnect === true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 1_000,
    } as Parameters<typeof io>[1]);
    const received: CliSocket['received'] = [];
    socket.onAny((event: string, ...args: unknown[]) => received.push({ event, args }));
    // Like the hapi CLI, a session socket heartbeats on every connect and every 2 s, so its session
    // is live (HAPI takes web messages only for a live session).
    const sid = scope.sessionId;
    const alive = () => sid && socket.connected && socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    const heartbeat = sid ? setInterval(alive, 2_000) : undefined;
    if (sid) socket.on('connect', alive);
    const handle: CliSocket = {
      socket,
      received,
      events: (event) => received.filter((r) => r.event === event).map((r) => r.args[0]),
      waitEvent: (event, pred = () => true, timeoutMs = 10_000) =>
        waitFor(() => received.find((r) => r.event === event && pred(r.args[0]))?.args[0] ?? null, { timeoutMs, what: `socket event ${event}` }) as Promise<any>,
      close: () => {
        clearInterval(heartbeat);
        socket.close();
      },
    };
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(handle));
      socket.once('connect_error', (err) => {
        if (opts.reconnect) return;
        socket.close();
        reject(err);
      });
    });
  }

  /** `GET <path>` as an EventSource would; frames are the parsed `data:` lines. */
  sse(path: string, token: string): Promise<SseStream> {
    return new Promise((resolve, reject) => {
      const frames: any[] = [];
      const req = https.request(`${this.base}${path}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` }, agent: false, ca: this.ca, family: 4 }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let idx;
          while ((idx = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            for (const line of block.split('\n')) if (line.startsWith('data: ')) frames.push(JSON.parse(line.slice(6)));
          }
        });
        res.on('error', () => undefined);
        resolve({ status: res.statusCode ?? 0, frames, close: () => req.destroy() });
      });
      req.on('error', (err) => reject(err));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
