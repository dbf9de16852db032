// Registering this computer as a hub machine (`POST /cli/machines`), shared by `run` and the runner.
import os from 'node:os';
import { HttpError, CliError, MACHINE_NAMESPACE_HINT } from './errors.js';
import { hubRequest } from './http.js';
import { CLI_VERSION_TAG } from './version.js';

export interface MachineRecord {
  id: string;
  runnerStateVersion?: number;
  metadataVersion?: number;
  [key: string]: unknown;
}

export function hostName(env: NodeJS.ProcessEnv = process.env): string {
  return env.HAPI_HOSTNAME || os.hostname();
}

export function machineMetadata(home: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    host: hostName(),
    platform: process.platform,
    happyCliVersion: CLI_VERSION_TAG,
    homeDir: os.homedir(),
    happyHomeDir: home,
    ...extra,
  };
}

/** POST /cli/machines; a 403 `Machine access denied` becomes the namespace hint. */
export async function registerMachine(
  apiUrl: string,
  token: string,
  body: { id: string; metadata: Record<string, unknown>; runnerState?: Record<string, unknown> | null },
): Promise<MachineRecord> {
  try {
    const res = await hubRequest<{ machine?: MachineRecord }>(apiUrl, '/cli/machines', { bearer: token, body });
    if (!res?.machine) throw new CliError('The hub answered POST /cli/machines without a machine.');
    return res.machine;
  } catch (err) {
    if (err instanceof HttpError && err.status === 403 && err.serverError === 'Machine access denied') {
      throw new CliError(`Machine access denied. ${MACHINE_NAMESPACE_HINT}`);
    }
    throw err;
  }
}
