/**
 * A node whose Redis broker (`cluster.broker.url`) does not answer when it starts
 * refuses to start: one line naming the URL and what to check, exit code 1, no
 * stack trace and no stream of connection warnings.
 */
import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/postgres.ts';
import { freePort, runCli } from '../helpers/process.ts';

const db = await createTestDatabase(import.meta.path, '', 'rk_cluster_');

test.skipIf(!db)(
  'an unreachable Redis broker fails the start with one clear line and exit code 1',
  async () => {
    if (!db) return;
    // A loopback port nothing listens on: connections are refused at once.
    const port = freePort();
    const dir = mkdtempSync(join(tmpdir(), 'relaykit-broker-down-'));
    try {
      writeFileSync(
        join(dir, 'relaykit.config.yaml'),
        `watch: false\nserver:\n  port: 0\ncluster:\n  broker:\n    url: redis://:secret@127.0.0.1:${port}\n`,
      );
      const { code, stdout, stderr } = await runCli(['start', '--config', join(dir, 'relaykit.config.yaml')], dir, {
        RELAYKIT_STORAGE_URL: db.url(),
      });
      expect(code).toBe(1);
      const lines = stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toStartWith(`relaykit: cannot reach the cluster broker at redis://:***@127.0.0.1:${port}`);
      expect(lines[0]).toContain('(cluster.broker.url)');
      expect(lines[0]).toContain('ECONNREFUSED');
      expect(lines[0]).toContain('Check that Redis is running');
      expect(stderr + stdout).not.toContain('secret');
      expect(stdout).not.toContain('cluster broker error');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  60_000,
);
