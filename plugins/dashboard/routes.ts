import { Elysia } from 'elysia';

/**
 * The page allows the hub and nothing else: scripts, styles, images and fetches
 * from its own origin only, no inline script, no framing.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

type Asset = { type: string; gzip: Uint8Array };
let assets: Promise<Map<string, Asset>> | null = null;

/** The embedded UI, decoded on the first request for it, never at start. */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= import('./assets.generated.ts').then(
    ({ DASHBOARD_ASSETS }) =>
      new Map(
        Object.entries(DASHBOARD_ASSETS).map(([name, a]) => [
          name,
          { type: a.type, gzip: Buffer.from(a.gzip, 'base64') },
        ]),
      ),
  );
  return assets;
}

async function serve(name: string, request: Request, cache: string): Promise<Response> {
  const asset = (await loadAssets()).get(name);
  if (!asset) return new Response('not found', { status: 404 });
  const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
  // node:zlib costs a cold start several ms: only a client that refuses gzip loads it.
  const body = gzip ? asset.gzip : (await import('node:zlib')).gunzipSync(asset.gzip);
  return new Response(new Uint8Array(body), {
    headers: {
      'content-type': asset.type,
      'cache-control': cache,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
  });
}

/**
 * `/dashboard`: the page (a login form; the data views read the hub's own APIs with
 * the admin token the operator types in) and its assets. Hidden from the OpenAPI
 * document: they are a UI, not an API.
 */
export function dashboardRoutes() {
  return new Elysia({ name: 'relaykit-dashboard' })
    .get('/dashboard', ({ request }) => serve('index.html', request, 'no-cache'), { detail: { hide: true } })
    .get('/dashboard/assets/:name', ({ params, request }) => serve(params.name, request, 'no-cache'), {
      detail: { hide: true },
    });
}
