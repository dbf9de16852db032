import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import type { AuthConfig } from './config.js';
import type { AuthStore, HubSecretsRecord } from './store.js';
import { isWeakToken, normalizeHubToken, settingsFileToken, writeFileAtomic, type TokenSource } from './hub-token.js';

/** The secrets in effect for this process (stored ones, with env/settings overrides applied). */
export interface HubSecrets {
  baseToken: string;
  baseTokenSource: TokenSource | 'store';
  adminToken: string;
  jwtKey: Uint8Array;
  internalSecret: string;
  ownerId: number;
}

/** Fresh random secrets; only inserted when the store holds none yet. */
export function generateSecrets(now: number): HubSecretsRecord {
  return {
    baseToken: randomBytes(32).toString('base64url'),
    adminToken: randomBytes(32).toString('base64url'),
    jwtKey: randomBytes(32).toString('base64url'),
    internalSecret: randomBytes(32).toString('base64url'),
    ownerId: randomInt(1, 2 ** 31),
    createdAt: now,
  };
}

export interface SecretsIo {
  /** Where banners go besides the log (stderr in production). */
  stderr: (line: string) => void;
  /** Machine-readable announcements (stdout in production). */
  stdout: (line: string) => void;
}

type SecretsOptions = Pick<
  AuthConfig,
  'envBaseToken' | 'settingsFile' | 'adminTokenOverride' | 'internalSecretOverride' | 'internalSecretFile' | 'announceSecrets'
> &
  Partial<Pick<AuthConfig, 'adminTokenFile'>>;

function banner(token: string): string {
  const line = '='.repeat(72);
  return [
    line,
    '  NEW CLI_API_TOKEN GENERATED (shown once; it is kept in the auth store)',
    '',
    `  CLI_API_TOKEN=${token}`,
    '',
    '  Teammates use it with their namespace appended: <token>:alice, <token>:bob',
    line,
  ].join('\n');
}

/**
 * Resolves the hub secrets: get-or-create in the store (race-safe, so replicas agree), then the
 * base token by precedence env CLI_API_TOKEN > settings file > stored; TEAMHUB_ADMIN_TOKEN and
 * TEAMHUB_INTERNAL_SECRET override theirs. Warns about weak or suffixed tokens, announces a newly
 * generated base token once, writes the internal secret file when configured.
 * Throws HubTokenError when the configured token is unusable.
 */
export async function resolveSecrets(store: AuthStore, opts: SecretsOptions, log: Logger, io: SecretsIo, now = Date.now()): Promise<HubSecrets> {
  const candidate = generateSecrets(now);
  const stored = await store.getOrCreateSecrets(candidate);
  const generatedHere = stored.baseToken === candidate.baseToken;

  let baseToken = stored.baseToken;
  let baseTokenSource: HubSecrets['baseTokenSource'] = 'store';
  const fromEnv = opts.envBaseToken !== undefined ? normalizeHubToken(opts.envBaseToken, 'env') : undefined;
  const fromFile = fromEnv ? undefined : settingsFileToken(opts.settingsFile);
  const chosen = fromEnv ?? fromFile;
  if (chosen) {
    baseToken = chosen.token;
    baseTokenSource = fromEnv ? 'env' : 'settings file';
    // One warning, on stderr in HAPI's `[WARN] …` form (a log line as well would print it twice).
    if (chosen.warning) io.stderr(`[WARN] ${chosen.warning}`);
  } else if (generatedHere) {
    log.info('generated a new base token (CLI_API_TOKEN); see the banner on stderr');
    io.stderr(banner(baseToken));
  }
  if (isWeakToken(baseToken)) {
    io.stderr('[WARN] CLI_API_TOKEN appears to be weak. Consider using a stronger secret.');
  }

  const secrets: HubSecrets = {
    baseToken,
    baseTokenSource,
    adminToken: opts.adminTokenOverride ?? stored.adminToken,
    jwtKey: new Uint8Array(Buffer.from(stored.jwtKey, 'base64url')),
    internalSecret: opts.internalSecretOverride ?? stored.internalSecret,
    ownerId: stored.ownerId,
  };
  if (secrets.adminToken === secrets.baseToken) {
    io.stderr('[WARN] TEAMHUB_ADMIN_TOKEN equals the base token; admin calls will be refused until they differ.');
  }
  if (opts.internalSecretFile) {
    writeFileAtomic(opts.internalSecretFile, `${secrets.internalSecret}\n`, 0o600);
    log.info({ file: opts.internalSecretFile }, 'internal secret written');
  }
  if (opts.adminTokenFile) {
    writeFileAtomic(opts.adminTokenFile, `${secrets.adminToken}\n`, 0o600);
    log.info({ file: opts.adminTokenFile }, 'admin token written');
  }
  if (opts.announceSecrets) {
    io.stdout(`TEAMHUB_BASE_TOKEN=${secrets.baseToken}`);
    // The admin token is shown once, when it is generated; after that the launcher says where it
    // is kept (the file above, readable by the teamhub CLI), so it is not in every start's output.
    if (opts.adminTokenOverride === undefined && stored.adminToken === candidate.adminToken) io.stdout(`TEAMHUB_ADMIN_TOKEN=${secrets.adminToken}`);
    if (opts.adminTokenFile) io.stdout(`TEAMHUB_ADMIN_TOKEN_FILE=${opts.adminTokenFile}`);
  }
  return secrets;
}
