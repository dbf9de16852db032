import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.js';
import type { AuthController } from './auth.js';
import type { Live } from './live.js';

/** What every view of a logged-in page uses: the API client, the live event stream, the login. */
export interface Hub {
  auth: AuthController;
  api: Api;
  live: Live;
  ns: string;
}

export const HubContext = createContext<Hub | null>(null);

export function useHub(): Hub {
  const hub = useContext(HubContext);
  if (!hub) throw new Error('useHub outside a logged-in page');
  return hub;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
