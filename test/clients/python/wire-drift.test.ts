import { afterAll, beforeAll, expect, test } from 'bun:test';
import {
  ClientFrameTypes,
  CloseCodes,
  NAME_PATTERN,
  NameLimits,
  ServerFrameTypes,
  SseControlEvents,
  SYSTEM_CHANNEL_PREFIX,
} from '../../../clients/realtime/src/wire.ts';
import { CoreErrors } from '../../../src/kernel/errors.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, removeVenvs } from './python.ts';

beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterAll(removeVenvs);

/** `slowConsumer` → `SLOW_CONSUMER`, the Python enum's spelling. */
const upperSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

test("the Python SDK's wire constants and error codes match the hub's one definition", async () => {
  const script = await PythonScript.start('wire.py', {});
  expect(await script.finish()).toBe(0);
  const [python] = script.of('wire');
  expect(python?.close_codes).toEqual(
    Object.fromEntries(Object.entries(CloseCodes).map(([k, v]) => [upperSnake(k), v])),
  );
  expect(python?.client_frames).toEqual([...ClientFrameTypes]);
  expect(python?.server_frames).toEqual([...ServerFrameTypes]);
  expect(python?.name_pattern).toBe(NAME_PATTERN);
  expect(python?.limits).toEqual({ ...NameLimits });
  expect(python?.system_prefix).toBe(SYSTEM_CHANNEL_PREFIX);
  expect(python?.sse).toEqual({ ...SseControlEvents });
  expect(python?.error_codes).toEqual(Object.keys(CoreErrors).sort());
}, 30_000);
