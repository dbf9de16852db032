/**
 * Helpers for reading environment variables once, at start, collecting every problem so the
 * operator sees all bad variables in one error instead of fixing them one restart at a time.
 */
import { readFileSync } from 'node:fs';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a secret file, or undefined when it does not exist (yet). */
export function readSecretFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** A string variable; `fallback` when unset or empty. */
  str(name: string, fallback: string): string;
  str(name: string): string | undefined;
  str(name: string, fallback?: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? fallback : v;
  }

  required(name: string): string {
    const v = this.str(name);
    if (v === undefined) {
      this.problems.push(`${name} is required`);
      return '';
    }
    return v;
  }

  int(name: string, fallback: number, opts: { min?: number; max?: number } = {}): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n)) {
      this.problems.push(`${name} must be an integer, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    if (opts.min !== undefined && n < opts.min) this.problems.push(`${name} must be >= ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) this.problems.push(`${name} must be <= ${opts.max}, got ${n}`);
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, { min: 0, max: 65535 });
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`);
    return fallback;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if ((choices as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${choices.join('|')}, got ${JSON.stringify(raw)}`);
    return fallback;
  }

  /** Records a problem found by the caller's own cross-field checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError listing every problem, or returns the frozen config. */
  done<T extends object>(config: T): Readonly<T> {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return Object.freeze(config);
  }
}

/**
 * Where NATS is and how to use it; every process reads the same variables.
 * TEAMHUB_NATS_URL is one server or a comma-separated list (the client fails over between them
 * and learns the rest of a cluster from the first it reaches). TEAMHUB_NATS_USER with
 * TEAMHUB_NATS_PASSWORD_FILE authenticate (compose generates the password into its secrets
 * volume). TEAMHUB_NATS_REPLICAS is how many copies JetStream keeps of each stream and KV bucket
 * the hub creates: 1 for one server, 3 for a 3-node cluster, so losing one node loses nothing.
 */
export interface NatsSettings {
  natsServers: string[];
  natsUser: string | undefined;
  natsPassword: string | undefined;
  natsReplicas: number;
}

const NATS_SERVER = /^((nats|tls|ws|wss):\/\/)?[^\s/,]+$/;

export function readNatsSettings(r: EnvReader, secretFromFile: (path: string) => string | undefined): NatsSettings {
  const raw = r.str('TEAMHUB_NATS_URL', 'nats://127.0.0.1:4222');
  const natsServers = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (natsServers.length === 0) r.problem('TEAMHUB_NATS_URL must name at least one server');
  // By position, not value: an entry may carry credentials (nats://user:password@host).
  natsServers.forEach((s, i) => {
    if (!NATS_SERVER.test(s)) r.problem(`TEAMHUB_NATS_URL entry ${i + 1} is not a NATS server address (nats://host:port)`);
  });
  const natsUser = r.str('TEAMHUB_NATS_USER');
  const passwordFile = r.str('TEAMHUB_NATS_PASSWORD_FILE');
  const natsPassword = passwordFile ? secretFromFile(passwordFile)?.trim() || undefined : undefined;
  if (passwordFile && natsPassword === undefined) r.problem('TEAMHUB_NATS_PASSWORD_FILE names a file that is missing or empty');
  if (natsUser !== undefined && !passwordFile) r.problem('TEAMHUB_NATS_USER needs TEAMHUB_NATS_PASSWORD_FILE');
  if (natsUser === undefined && passwordFile) r.problem('TEAMHUB_NATS_PASSWORD_FILE needs TEAMHUB_NATS_USER');
  const natsReplicas = r.int('TEAMHUB_NATS_REPLICAS', 1, { min: 1, max: 5 });
  return { natsServers, natsUser, natsPassword, natsReplicas };
}

/**
 * How entity events are kept and published (lib/events/): each namespace's events live in a
 * JetStream stream of their own with these limits, so one namespace churning events never evicts
 * another's replay history; a write waits at most `eventAckWaitMs` for its event's stream ack
 * while the bus answers (it never waits while the bus is away: the outbox keeps the event).
 */
export interface EventSettings {
  /** TEAMHUB_EVENTS_PER_NAMESPACE: events kept per namespace (oldest dropped first). */
  eventsPerNamespace: number;
  /** TEAMHUB_EVENT_BYTES_PER_NAMESPACE: bytes kept per namespace. */
  eventBytesPerNamespace: number;
  /** TEAMHUB_EVENT_MAX_AGE_S: how long an event stays replayable. */
  eventMaxAgeMs: number;
  /** TEAMHUB_EVENT_ACK_WAIT_MS: longest a write waits for its event to be in the stream. */
  eventAckWaitMs: number;
}

export function readEventSettings(r: EnvReader): EventSettings {
  return {
    eventsPerNamespace: r.int('TEAMHUB_EVENTS_PER_NAMESPACE', 10_000, { min: 300, max: 10_000_000 }),
    eventBytesPerNamespace: r.int('TEAMHUB_EVENT_BYTES_PER_NAMESPACE', 64 * 1024 * 1024, { min: 1024 * 1024 }),
    eventMaxAgeMs: r.int('TEAMHUB_EVENT_MAX_AGE_S', 24 * 60 * 60, { min: 60 }) * 1000,
    eventAckWaitMs: r.int('TEAMHUB_EVENT_ACK_WAIT_MS', 1000, { min: 0, max: 60_000 }),
  };
}

/** Settings every process shares: where NATS is, how to authenticate internal calls, logging. */
export interface CommonConfig extends NatsSettings, EventSettings {
  /** Shared secret that every internal gRPC call must carry. */
  internalSecret: string;
  logLevel: string;
}

export function readCommon(r: EnvReader, secretFromFile: (path: string) => string | undefined): CommonConfig {
  const file = r.str('TEAMHUB_INTERNAL_SECRET_FILE');
  let internalSecret = r.str('TEAMHUB_INTERNAL_SECRET') ?? (file ? secretFromFile(file) : undefined) ?? '';
  internalSecret = internalSecret.trim();
  if (!internalSecret) r.problem('TEAMHUB_INTERNAL_SECRET or a readable TEAMHUB_INTERNAL_SECRET_FILE is required');
  else if (internalSecret.length < 16) r.problem('the internal secret must be at least 16 characters');
  return {
    ...readNatsSettings(r, secretFromFile),
    ...readEventSettings(r),
    internalSecret,
    logLevel: r.oneOf('TEAMHUB_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
}
