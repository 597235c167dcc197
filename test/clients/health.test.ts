import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { checkLiveness, checkReadiness, checkStartup, getHealth } from '../../clients/typescript/generated/index.ts';
import { type ClientHub, startClientHub } from './fixtures.ts';

describe('generated client: health', () => {
  let t: ClientHub;
  beforeAll(async () => {
    t = await startClientHub();
  });
  afterAll(() => t.hub.stop());

  test('the three probes and the full status answer pass on a ready hub', async () => {
    const { client } = t;
    for (const probe of [checkLiveness, checkReadiness, checkStartup]) {
      const res = await probe({ client });
      expect(res.response?.status).toBe(200);
      expect(res.data?.status).toBe('pass');
    }
    const status = await getHealth({ client });
    // The machine-wide checks (CPU, event loop) may warn while other tests load the machine;
    // nothing fails, and the database check the client reads below passes.
    expect(['pass', 'warn']).toContain(status.data?.status as string);
    const database = status.data?.checks?.['database:responseTime'] as Array<{ status: string }> | undefined;
    expect(database?.[0]?.status).toBe('pass');
  });

  test('a draining hub is not ready, and the client returns the typed 503 body', async () => {
    t.hub.hub.drain();
    const res = await checkReadiness({ client: t.client });
    expect(res.response?.status).toBe(503);
    expect(res.error?.status).toBe('fail');
  });
});
