/**
 * Helpers for reading environment variables once, at start, collecting every problem so the
 * operator sees all bad variables in one error instead of fixing them one restart at a time.
 */
export type Env = Readonly<Record<string, string | undefined>>;

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

/** Settings every process shares: where NATS is, how to authenticate internal calls, logging. */
export interface CommonConfig {
  natsUrl: string;
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
    natsUrl: r.str('TEAMHUB_NATS_URL', 'nats://127.0.0.1:4222'),
    internalSecret,
    logLevel: r.oneOf('TEAMHUB_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
}
