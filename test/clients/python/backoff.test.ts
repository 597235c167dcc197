import { afterAll, beforeAll, expect, test } from 'bun:test';
import { backoffDelay, defaultBackoff } from '../../../clients/realtime/src/index.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, removeVenvs } from './python.ts';

beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterAll(removeVenvs);

test('Python backoff: the same delays as @relaykit/realtime (exponential, capped, minus up to `jitter` at random)', async () => {
  const script = await PythonScript.start('backoff.py', {});
  expect(await script.finish()).toBe(0);
  const [delays] = script.of('delays');
  const seconds = (ms: number) => ms / 1000;
  expect(delays?.no_jitter_draw).toEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => seconds(backoffDelay(n, defaultBackoff, () => 0))),
  );
  expect(delays?.full_draw).toEqual([1, 2, 3].map((n) => seconds(backoffDelay(n, defaultBackoff, () => 1))));
  const custom = { initialDelayMs: 20, maxDelayMs: 200, factor: 3, jitter: 1 };
  expect(delays?.custom).toEqual([1, 2, 3, 4].map((n) => seconds(backoffDelay(n, custom, () => 0.5))));
}, 30_000);
