/**
 * Generates the TypeScript client in clients/typescript/generated/ from the OpenAPI
 * document of a hub with every built-in plugin enabled (the `relaykit openapi` code
 * path), with @hey-api/openapi-ts: one SDK function per operation, the types of every
 * body, parameter, response and error, and the fetch client they run on. The document
 * itself is written beside it (openapi.json). No timestamps: the same server gives
 * byte-identical output, so test/clients/drift.test.ts can compare.
 *
 *   bun run client:generate            # into clients/typescript/generated
 *   bun scripts/generate-client.ts DIR # anywhere else (the drift test)
 */
import { join, resolve } from 'node:path';
import { createClient } from '@hey-api/openapi-ts';
import { openApiDocument } from '../src/cli/main.ts';

export const CLIENT_DIR = resolve(import.meta.dir, '../clients/typescript/generated');

/** Writes the client for the current server into `dir` (emptied first). */
export async function generateClient(dir: string = CLIENT_DIR): Promise<void> {
  // No environment: the document depends on the code only, never on RELAYKIT_* of whoever runs this.
  const document = await openApiDocument({});
  await createClient({
    input: { path: document as Record<string, unknown> },
    output: {
      path: dir,
      clean: true,
      // Explicit extensions: the sources run as they are on Bun, Deno and Node's type stripping.
      module: { extension: '.ts' },
      tsConfigPath: null,
      source: { enabled: true, fileName: 'openapi', extension: 'json' },
    },
    // includeInEntry: the entry file also exports createClient, so one import gives everything.
    plugins: ['@hey-api/typescript', '@hey-api/sdk', { name: '@hey-api/client-fetch', includeInEntry: true }],
    logs: { file: false, level: 'warn' },
    interactive: false,
  });
}

if (import.meta.main) {
  const dir = process.argv[2] ? resolve(process.argv[2]) : CLIENT_DIR;
  await generateClient(dir);
  console.log(`wrote the Relaykit client to ${join(dir, 'index.ts')}`);
}
