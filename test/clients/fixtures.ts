/**
 * A live hub (every built-in plugin, an admin token) and two instances of the
 * generated client against it: anonymous, and with the admin token. The client
 * tests import the committed client exactly as users do.
 */
import { type Client, createClient } from '../../clients/typescript/generated/client/index.ts';
import { startTestHub, type TestHub, type TestHubOptions } from '../helpers/hub.ts';

export const ADMIN_TOKEN = 'generated-client-admin-token';

export interface ClientHub {
  hub: TestHub;
  /** No credentials. */
  client: Client;
  /** Sends the admin token to operations that declare the `adminToken` security scheme. */
  admin: Client;
}

export async function startClientHub(options: TestHubOptions = {}): Promise<ClientHub> {
  const hub = await startTestHub({
    ...options,
    overrides: { ...options.overrides, auth: { adminToken: ADMIN_TOKEN } },
  });
  return {
    hub,
    client: createClient({ baseUrl: hub.url }),
    admin: createClient({ baseUrl: hub.url, auth: ADMIN_TOKEN }),
  };
}
