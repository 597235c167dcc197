import { hostname } from 'node:os';

/**
 * A node's identity in the cluster (`cluster.nodeId`). It names the node's
 * presence entries, leases and leaderships and labels its own metrics, so it must
 * be unique among live nodes and stable for the life of the process.
 */

/** What a node id may contain: it goes into Redis keys, lease rows and metric labels. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/**
 * The default node id: `<hostname>-<pid>-<6 random hex>`. Host name and pid say
 * where the node runs; the random suffix keeps it unique when a pid is reused
 * (containers often all run as pid 1). Computed once per process.
 */
export function defaultNodeId(): string {
  processNodeId ??= makeNodeId(hostname(), process.pid);
  return processNodeId;
}

let processNodeId: string | undefined;

/** Builds a node id from a host name and pid (exported for tests); characters a node id cannot hold become `-`. */
export function makeNodeId(host: string, pid: number, random = crypto.getRandomValues(new Uint8Array(3))): string {
  const suffix = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
  const safeHost =
    host
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
      .slice(0, 100) || 'node';
  return `${safeHost}-${pid}-${suffix}`;
}

/** The configured id when given (checked against NODE_ID_PATTERN), else the process default. */
export function resolveNodeId(configured?: string | null): string {
  if (configured == null || configured === '') return defaultNodeId();
  if (!NODE_ID_PATTERN.test(configured)) {
    throw new Error(
      `cluster.nodeId "${configured}" is not a valid node id: use 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit`,
    );
  }
  return configured;
}
