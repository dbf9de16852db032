/**
 * The socket load, spread over worker child processes so the bench's own process stays free to
 * time probes, and so the generator's CPU is measured apart from the hub's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromWorker, SocketTarget, ToWorker } from './protocol.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'socket-worker.ts');

export interface ConnectResult {
  ok: number;
  failed: number;
  /** Sessions whose socket did not connect (they get no probes). */
  failedSids: string[];
  firstError?: string;
  /** Wall time until the last worker had every socket connected. */
  ms: number;
}

class Worker {
  readonly proc: ChildProcess;
  private waiters: Array<{ type: FromWorker['type']; resolve: (m: FromWorker) => void }> = [];

  constructor(onMessage: (m: FromWorker) => void) {
    this.proc = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: FromWorker) => {
      onMessage(m);
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
  }

  post(m: ToWorker): void {
    this.proc.send(m);
  }

  next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve) => this.waiters.push({ type, resolve: resolve as (m: FromWorker) => void }));
  }
}

export class LoadGenerator {
  private readonly workers: Worker[] = [];
  /** Problems the workers reported (dropped sockets, failed seeding), for the results. */
  readonly problems: string[] = [];
  private readonly updateListeners = new Set<(localId: string, atUs: number) => void>();

  private constructor() {}

  static async start(count: number): Promise<LoadGenerator> {
    const g = new LoadGenerator();
    for (let i = 0; i < count; i++) {
      const w = new Worker((m) => g.onMessage(m));
      g.workers.push(w);
    }
    await Promise.all(g.workers.map((w) => w.next('ready')));
    return g;
  }

  pids(): number[] {
    return this.workers.map((w) => w.proc.pid!);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'update') for (const l of this.updateListeners) l(m.localId, m.atUs);
    else if (m.type === 'failed' && this.problems.length < 50) this.problems.push(m.message);
  }

  onUpdate(listener: (localId: string, atUs: number) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  /** Opens the sockets, dealt round-robin to the workers; each keeps `concurrency` handshakes in flight. */
  async connect(targets: SocketTarget[], opts: { concurrency: number; rpcMethods: number }): Promise<ConnectResult> {
    const t0 = performance.now();
    const results = await Promise.all(
      this.workers.map((w, wi) => {
        const done = w.next('connected');
        w.post({ type: 'connect', targets: targets.filter((_, i) => i % this.workers.length === wi), concurrency: opts.concurrency, rpcMethods: opts.rpcMethods });
        return done;
      }),
    );
    return {
      ok: results.reduce((s, r) => s + r.ok, 0),
      failed: results.reduce((s, r) => s + r.failedSids.length, 0),
      failedSids: results.flatMap((r) => r.failedSids),
      firstError: results.find((r) => r.firstError)?.firstError,
      ms: +(performance.now() - t0).toFixed(1),
    };
  }

  /** Agent messages per second over all sockets. */
  setMessageRate(perSec: number): void {
    for (const w of this.workers) w.post({ type: 'rate', perSec: perSec / this.workers.length });
  }

  async seed(url: string, jwts: Record<string, string>, opts: { perSession: number; batch: number; lanes: number }, onProgress?: (stored: number) => void): Promise<{ messages: number; ms: number }> {
    const t0 = performance.now();
    const progress = new Map<Worker, number>();
    const report = () => onProgress?.([...progress.values()].reduce((s, n) => s + n, 0));
    const listeners = this.workers.map((w) => {
      const l = (m: FromWorker) => {
        if (m.type === 'seed-progress') {
          progress.set(w, m.messages);
          report();
        }
      };
      w.proc.on('message', l);
      return () => w.proc.off('message', l);
    });
    try {
      const done = await Promise.all(
        this.workers.map((w) => {
          const p = Promise.race([w.next('seeded'), w.next('failed').then((f) => Promise.reject(new Error(f.message)))]);
          w.post({ type: 'seed', url, jwts, ...opts });
          return p;
        }),
      );
      return { messages: done.reduce((s, d) => s + d.messages, 0), ms: +(performance.now() - t0).toFixed(1) };
    } finally {
      for (const off of listeners) off();
    }
  }

  /** Closes every socket; with `end` (the default) each first sends `session-end`, as an exiting CLI does. */
  async disconnect(end = true): Promise<void> {
    this.setMessageRate(0);
    await Promise.all(
      this.workers.map((w) => {
        const done = w.next('disconnected');
        w.post({ type: 'disconnect', end });
        return done;
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.proc.exitCode !== null) return resolve();
            const timer = setTimeout(() => w.proc.kill('SIGKILL'), 5000);
            w.proc.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.post({ type: 'exit' });
          }),
      ),
    );
  }
}
