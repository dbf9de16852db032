/**
 * A load worker (a child process of the bench, never of a hub): holds real socket.io-client CLI
 * sockets on `/cli`, session-scoped, each heartbeating `session-alive` every 2 s as the hapi CLI
 * does; sends agent `message` events at the rate it is told; acknowledges user messages with
 * `messages-consumed` like the CLI; reports when a probe's `update` arrives.
 */
import { io, type Socket } from 'socket.io-client';
import { nowUs, sleep } from '../stats.js';
import { agentMessage, namespaceOf, PROBE_PREFIX, SESSION_RPC_METHODS, type FromWorker, type SocketTarget, type ToWorker } from './protocol.js';

const HEARTBEAT_MS = 2000;
const TICK_MS = 50;

interface Held {
  sid: string;
  token: string;
  socket: Socket;
  sent: number;
}

const held: Held[] = [];
let messagesPerSec = 0;
let closing = false;

const send = (m: FromWorker) => process.send?.(m);

function openSocket(t: SocketTarget, rpcMethods: number): Promise<Held> {
  const socket = io(`${t.url}/cli`, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth: { token: t.token, clientType: 'session-scoped', sessionId: t.sid },
    reconnection: false,
    forceNew: true,
    timeout: 60_000,
  });
  const h: Held = { sid: t.sid, token: t.token, socket, sent: 0 };
  socket.on('update', (u: { body?: { t?: string; message?: { localId?: unknown } } }) => {
    const localId = u?.body?.t === 'new-message' ? u.body.message?.localId : undefined;
    if (typeof localId !== 'string') return;
    if (localId.startsWith(PROBE_PREFIX)) send({ type: 'update', localId, atUs: nowUs() });
    socket.emit('messages-consumed', { sid: t.sid, localIds: [localId] });
  });
  socket.on('disconnect', (reason) => {
    if (!closing) send({ type: 'failed', message: `socket of ${t.sid} disconnected: ${reason}` });
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      for (const m of SESSION_RPC_METHODS.slice(0, rpcMethods)) socket.emit('rpc-register', { method: `${t.sid}:${m}` });
      socket.emit('session-alive', { sid: t.sid, time: Date.now(), thinking: false });
      resolve(h);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

async function connectAll(cmd: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
  closing = false;
  const t0 = performance.now();
  let next = 0;
  const failedSids: string[] = [];
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: Math.min(cmd.concurrency, cmd.targets.length) }, async () => {
      for (let i = next++; i < cmd.targets.length; i = next++) {
        try {
          held.push(await openSocket(cmd.targets[i]!, cmd.rpcMethods));
        } catch (err) {
          failedSids.push(cmd.targets[i]!.sid);
          firstError ??= String((err as Error).message ?? err);
        }
      }
    }),
  );
  send({ type: 'connected', ok: held.length, failedSids, firstError, ms: +(performance.now() - t0).toFixed(1) });
}

/** One timer for all sockets: each gets its heartbeat every 2 s, spread evenly over the period. */
function startTicker(): void {
  let beatCursor = 0;
  let beatCredit = 0;
  let msgCursor = 0;
  let msgCredit = 0;
  setInterval(() => {
    if (held.length === 0) return;
    beatCredit += (held.length * TICK_MS) / HEARTBEAT_MS;
    for (; beatCredit >= 1; beatCredit -= 1) {
      const h = held[beatCursor++ % held.length]!;
      if (h.socket.connected) h.socket.volatile.emit('session-alive', { sid: h.sid, time: Date.now(), thinking: false, mode: 'local' });
    }
    msgCredit += (messagesPerSec * TICK_MS) / 1000;
    for (; msgCredit >= 1; msgCredit -= 1) {
      const h = held[msgCursor++ % held.length]!;
      if (h.socket.connected) h.socket.emit('message', agentMessage(h.sid, ++h.sent));
    }
  }, TICK_MS);
}

/** The highest message seq of a session, through the web API (newest page of one). */
async function latestSeq(url: string, jwt: string, sid: string): Promise<number> {
  const res = await fetch(`${url}/api/sessions/${sid}/messages?limit=1`, { headers: { authorization: `Bearer ${jwt}` }, signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { messages?: Array<{ seq?: number }> };
  if (!res.ok) throw new Error(`GET messages of ${sid}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return Math.max(0, ...(body.messages ?? []).map((m) => m.seq ?? 0));
}

async function seed(cmd: Extract<ToWorker, { type: 'seed' }>): Promise<void> {
  const t0 = performance.now();
  const jwtOf = (h: Held) => cmd.jwts[namespaceOf(h.token)]!;
  const base = new Map<Held, number>();
  for (const h of held) base.set(h, await latestSeq(cmd.url, jwtOf(h), h.sid));
  const batches = Math.ceil(cmd.perSession / cmd.batch);
  const queue: Array<{ h: Held; b: number }> = [];
  for (let b = 0; b < batches; b++) for (const h of held) queue.push({ h, b });
  let stored = 0;
  const progress = setInterval(() => send({ type: 'seed-progress', messages: stored }), 5000);
  try {
    await Promise.all(
      Array.from({ length: Math.min(cmd.lanes, queue.length) }, async () => {
        for (let item = queue.shift(); item; item = queue.shift()) {
          const { h, b } = item;
          const count = Math.min(cmd.batch, cmd.perSession - b * cmd.batch);
          for (let i = 0; i < count; i++) h.socket.emit('message', agentMessage(h.sid, ++h.sent));
          const target = base.get(h)! + b * cmd.batch + count;
          const deadline = Date.now() + 120_000;
          for (let wait = 10; (await latestSeq(cmd.url, jwtOf(h), h.sid)) < target; wait = Math.min(wait * 2, 250)) {
            if (Date.now() > deadline) throw new Error(`session ${h.sid} did not reach seq ${target} within 120 s`);
            await sleep(wait);
          }
          stored += count;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  send({ type: 'seeded', messages: stored, ms: +(performance.now() - t0).toFixed(1) });
}

async function disconnectAll(end: boolean): Promise<void> {
  closing = true;
  const all = held.splice(0);
  if (end) {
    for (const h of all) h.socket.emit('session-end', { sid: h.sid, time: Date.now(), reason: 'completed' });
    // session-end has no ack: give the packets time to leave before the sockets close.
    await sleep(500);
  }
  for (const h of all) h.socket.close();
  await sleep(100);
  send({ type: 'disconnected' });
}

process.on('message', (m: ToWorker) => {
  const run = async () => {
    if (m.type === 'connect') await connectAll(m);
    else if (m.type === 'rate') messagesPerSec = m.perSec;
    else if (m.type === 'seed') await seed(m);
    else if (m.type === 'disconnect') await disconnectAll(m.end);
    else if (m.type === 'exit') {
      closing = true;
      for (const h of held) h.socket.close();
      process.exit(0);
    }
  };
  run().catch((err: unknown) => send({ type: 'failed', message: String((err as Error).stack ?? err) }));
});
process.on('disconnect', () => process.exit(0));

startTicker();
send({ type: 'ready' });
