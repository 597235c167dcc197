/**
 * A plugin that serves the live demo page from the hub itself, so the page's
 * EventSource and WebSocket are same-origin (the sse plugin sends no CORS headers).
 * The page script and @relaykit/realtime are TypeScript: they are served as ES
 * modules, transpiled once each with the `typescript` package (no build step, and the
 * plugin runs on Bun and Deno alike).
 *
 * ```yaml
 * plugins:
 *   browser-demo:
 *     module: ./page.ts
 *     channel: demo
 * ```
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { definePlugin, Elysia, errorResponses, HubError, Type, t } from 'relaykit';

const DemoOptions = Type.Object(
  {
    path: Type.String({ default: '/demo', pattern: '^/[a-z0-9-]+$', description: 'Where the page is served' }),
    channel: Type.String({ default: 'demo', description: 'The channel the page shows and publishes on' }),
  },
  { default: {} },
);

const PAGE_DIR = fileURLToPath(new URL('./', import.meta.url));
const SDK_DIR = fileURLToPath(new URL('../../clients/realtime/src/', import.meta.url));

export default definePlugin({
  name: 'browser-demo',
  description: 'A live page showing a channel over SSE and WebSocket (an example plugin)',
  options: DemoOptions,
  setup(ctx) {
    const { path, channel } = ctx.options;
    const modules = new Map<string, Promise<string>>();

    /** A TypeScript file as an ES module for the browser (`./x.ts` imports become `./x.js`). */
    function moduleFrom(file: string): Promise<string> {
      let compiled = modules.get(file);
      if (!compiled) {
        compiled = (async () => {
          const ts = (await import('typescript')).default;
          const source = await readFile(file, 'utf8');
          return ts.transpileModule(source, {
            compilerOptions: {
              target: ts.ScriptTarget.ES2022,
              module: ts.ModuleKind.ESNext,
              rewriteRelativeImportExtensions: true,
            },
          }).outputText;
        })();
        modules.set(file, compiled);
        compiled.catch(() => modules.delete(file));
      }
      return compiled;
    }

    const javascript = (code: string) =>
      new Response(code, {
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
      });

    return {
      routes: () =>
        new Elysia({ name: 'relaykit-browser-demo', detail: { tags: ['browser-demo'] } })
          // Elysia answers `/demo/` on `/demo` too; the page links its scripts by absolute path.
          .get(
            path,
            async () => {
              const html = (await readFile(`${PAGE_DIR}index.html`, 'utf8'))
                .replaceAll('{{path}}', path)
                .replaceAll('{{channel}}', channel);
              return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
            },
            { detail: { summary: 'The demo page' } },
          )
          .get(`${path}/app.js`, async () => javascript(await moduleFrom(`${PAGE_DIR}app.ts`)), {
            detail: { summary: 'The page script' },
          })
          .get(
            `${path}/realtime/:file`,
            async ({ params }) => {
              const name = params.file.replace(/\.js$/, '.ts');
              const sdkFiles = await readdir(SDK_DIR);
              if (!/^[a-z-]+\.js$/.test(params.file) || !sdkFiles.includes(name)) {
                throw new HubError('RELAYKIT_ERR_NOT_FOUND', `No module ${params.file}`);
              }
              return javascript(await moduleFrom(`${SDK_DIR}${name}`));
            },
            {
              params: t.Object({ file: t.String() }),
              response: { ...errorResponses(404) },
              detail: { summary: 'A module of @relaykit/realtime, as JavaScript' },
            },
          ),
    };
  },
});
