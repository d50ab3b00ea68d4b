/** Renders a page inside the console's API context over a fake server. Imported only by tests. */
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { ApiClient } from '../../../src/contract/client.js';
import { ConnectionMonitor } from '../api/connection.js';
import { ConsoleApiContext } from '../api/console-api.js';
import type { FakeServer } from './fake-server.js';

export function renderWithApi(ui: ReactElement, server: FakeServer) {
  const connection = new ConnectionMonitor({ fetch: server.fetch, healthUrl: 'http://console.test/healthz', retryDelaysMs: [20] });
  const client = new ApiClient({ baseUrl: 'http://console.test', fetch: connection.fetch, token: 'pbs.test.token' });
  const result = render(<ConsoleApiContext.Provider value={{ client, connection, username: 'admin', logout: () => {} }}>{ui}</ConsoleApiContext.Provider>);
  return { ...result, client, connection };
}
