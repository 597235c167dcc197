import { Elysia } from 'elysia';

/**
 * `/openapi`: the API reference page, rendered by the Swagger UI bundled with the hub
 * (pinned in package.json, embedded by scripts/embed-viewer.ts), so it works offline
 * and from the single binary. The page's Content-Security-Policy allows nothing but
 * the hub itself: no CDN, no web font, no validator badge, no proxy.
 *
 * The assets (about 0.5 MB gzipped) load on the first request for them, never at start.
 */

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Relaykit API reference</title>
<link rel="stylesheet" href="openapi/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="openapi/assets/swagger-ui-bundle.js"></script>
<script src="openapi/assets/init.js"></script>
</body>
</html>
`;

/** Starts Swagger UI on the document next to the page; the validator badge (an outside request) is off. */
const INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi/json', document.baseURI).href,
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

type Asset = { type: string; gzip: Uint8Array };
let assets: Promise<Map<string, Asset>> | null = null;

/** The embedded assets, decoded once, on first use (the module is ~650 kB of base64). */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= import('./openapi-viewer.generated.ts').then(
    ({ VIEWER_ASSETS }) =>
      new Map(
        Object.entries(VIEWER_ASSETS).map(([name, a]) => [name, { type: a.type, gzip: Buffer.from(a.gzip, 'base64') }]),
      ),
  );
  return assets;
}

const noStore = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };

/** The reference page and its assets, hidden from the OpenAPI document. */
export function viewerRoutes() {
  return new Elysia({ name: 'relaykit-openapi-viewer' })
    .get(
      '/openapi',
      function referencePage() {
        return new Response(PAGE, {
          headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP, ...noStore },
        });
      },
      { detail: { hide: true } },
    )
    .get(
      '/openapi/assets/:name',
      async function viewerAsset({ params, request }) {
        if (params.name === 'init.js') {
          return new Response(INIT, { headers: { 'content-type': 'text/javascript; charset=utf-8', ...noStore } });
        }
        const asset = (await loadAssets()).get(params.name);
        if (!asset) return new Response('not found', { status: 404 });
        const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
        // node:zlib costs a cold start several ms: only a client that refuses gzip loads it.
        const body = gzip ? asset.gzip : (await import('node:zlib')).gunzipSync(asset.gzip);
        return new Response(new Uint8Array(body), {
          headers: {
            'content-type': asset.type,
            'cache-control': 'public, max-age=86400',
            'x-content-type-options': 'nosniff',
            vary: 'accept-encoding',
            ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          },
        });
      },
      { detail: { hide: true } },
    );
}
