/**
 * Real `relaykit start` processes sharing one PostgreSQL database: the nodes of a
 * cluster, for the multi-process tests in this folder.
 */
import { HubUnderTest } from '../helpers/hub-process.ts';

export const ADMIN_TOKEN = 'cluster-test-admin-token';

/** Starts `n` nodes on `url`, each with the same config (YAML without `auth`, added here). */
export async function startNodes(n: number, url: string, config: string): Promise<HubUnderTest[]> {
  const yaml = `watch: false\nauth:\n  adminToken: ${ADMIN_TOKEN}\n${config}`;
  return Promise.all(Array.from({ length: n }, () => HubUnderTest.start(yaml, { RELAYKIT_STORAGE_URL: url })));
}

/** A request to a node as the admin. */
export function admin(node: HubUnderTest, path: string, init: { method?: string; json?: unknown } = {}) {
  return fetch(`${node.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
}
