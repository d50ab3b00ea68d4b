/**
 * What every page gets from the console shell: the typed contract client (the same one the CLI
 * uses) with the session token, the connection monitor, and the signed-in user.
 */
import { createContext, useContext } from 'react';
import type { ApiClient } from '../../../src/contract/client.js';
import type { ConnectionMonitor } from './connection.js';

export interface ConsoleApi {
  client: ApiClient;
  connection: ConnectionMonitor;
  username: string;
  logout(): void;
}

export const ConsoleApiContext = createContext<ConsoleApi | null>(null);

export function useConsoleApi(): ConsoleApi {
  const api = useContext(ConsoleApiContext);
  if (!api) throw new Error('useConsoleApi outside ConsoleApiContext');
  return api;
}
