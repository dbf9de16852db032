import path from 'node:path';
import { readSecretFile, type EnvReader } from '../config.js';

/** Which store a service uses: one SQLite file per service on one machine, MongoDB in containers. */
export type StoreConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'mongo'; url: string; dbName: string };

/**
 * TEAMHUB_STORE=sqlite|mongo (default sqlite); TEAMHUB_DATA_DIR (default ./.teamhub) holds
 * `<service>.db`; TEAMHUB_MONGO_URL and TEAMHUB_MONGO_DB (default "teamhub") for Mongo, with
 * TEAMHUB_MONGO_USER and TEAMHUB_MONGO_PASSWORD_FILE when the server wants credentials (compose
 * generates the password into its secrets volume, so it is never in the environment).
 */
export function readStoreConfig(r: EnvReader, service: string, secretFromFile: (path: string) => string | undefined = readSecretFile): StoreConfig {
  const kind = r.oneOf('TEAMHUB_STORE', ['sqlite', 'mongo'] as const, 'sqlite');
  if (kind === 'mongo') {
    let url = r.required('TEAMHUB_MONGO_URL');
    const user = r.str('TEAMHUB_MONGO_USER');
    const passwordFile = r.str('TEAMHUB_MONGO_PASSWORD_FILE');
    if (user !== undefined || passwordFile !== undefined) {
      const password = passwordFile ? secretFromFile(passwordFile)?.trim() || undefined : undefined;
      if (user === undefined) r.problem('TEAMHUB_MONGO_PASSWORD_FILE needs TEAMHUB_MONGO_USER');
      else if (!passwordFile) r.problem('TEAMHUB_MONGO_USER needs TEAMHUB_MONGO_PASSWORD_FILE');
      else if (password === undefined) r.problem('TEAMHUB_MONGO_PASSWORD_FILE names a file that is missing or empty');
      else if (url) url = mongoUrlWithCredentials(r, url, user, password);
    }
    return { kind, url, dbName: r.str('TEAMHUB_MONGO_DB', 'teamhub') };
  }
  return { kind, file: path.resolve(r.str('TEAMHUB_DATA_DIR', '.teamhub'), `${service}.db`) };
}

/**
 * Puts `user:password@` (percent-encoded) in front of the hosts of a MongoDB connection string.
 * Done on the string, not with URL: a replica-set string lists several `host:port`s, which the
 * URL parser refuses. The result is only ever handed to the driver, never logged.
 */
function mongoUrlWithCredentials(r: EnvReader, url: string, user: string, password: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/)([^/?]*)(.*)$/s.exec(url);
  if (!m) {
    r.problem('TEAMHUB_MONGO_URL must start with mongodb:// or mongodb+srv://');
    return url;
  }
  if (m[2]!.includes('@')) {
    r.problem('TEAMHUB_MONGO_URL already carries credentials; with TEAMHUB_MONGO_USER it must not');
    return url;
  }
  return `${m[1]}${encodeURIComponent(user)}:${encodeURIComponent(password)}@${m[2]}${m[3]}`;
}
