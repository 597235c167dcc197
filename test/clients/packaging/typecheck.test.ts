import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONSUMER_DEPS,
  consumerProject,
  INSTALL_TIMEOUT_MS,
  PACK_TIMEOUT_MS,
  packedTarballs,
  removeConsumers,
  run,
} from './packed.ts';

beforeAll(async () => {
  await packedTarballs();
}, PACK_TIMEOUT_MS);
afterAll(removeConsumers);

/** The strictest settings a consumer commonly has; skipLibCheck off, so the shipped .d.ts are checked too. */
const STRICT = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: false,
  noImplicitOverride: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'ES2022',
};

let dir: string;
beforeAll(async () => {
  dir = await consumerProject('tsc', [
    `typescript@${CONSUMER_DEPS.typescript}`,
    `@types/node@${CONSUMER_DEPS['@types/node']}`,
  ]);
}, INSTALL_TIMEOUT_MS);

async function typecheck(name: string, compilerOptions: Record<string, unknown>) {
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({ compilerOptions: { ...STRICT, ...compilerOptions }, files: ['check.ts'] }),
  );
  const result = await run(['node', 'node_modules/typescript/bin/tsc', '-p', `${name}.json`], dir);
  return `${result.stdout}${result.stderr}`.trim();
}

describe('the installed declarations in a strict TypeScript consumer', () => {
  test(
    'Node project: nodenext resolution, @types/node, no DOM lib',
    async () => {
      expect(
        await typecheck('node', { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] }),
      ).toBe('');
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'browser project: bundler resolution, DOM lib, no Node types',
    async () => {
      expect(
        await typecheck('browser', {
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
        }),
      ).toBe('');
    },
    INSTALL_TIMEOUT_MS,
  );

  test(
    'a type error in the consumer is reported (the check is real)',
    async () => {
      writeFileSync(
        join(dir, 'wrong.ts'),
        "import { sendMessage } from '@relaykit/client';\nawait sendMessage({ body: { channel: 1 } });\n",
      );
      writeFileSync(
        join(dir, 'wrong.json'),
        JSON.stringify({ compilerOptions: { ...STRICT, module: 'nodenext', types: ['node'] }, files: ['wrong.ts'] }),
      );
      const result = await run(['node', 'node_modules/typescript/bin/tsc', '-p', 'wrong.json'], dir);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain('wrong.ts');
    },
    INSTALL_TIMEOUT_MS,
  );
});
