import { UsageError } from './usage.ts';

/** Where a hub is and how to authenticate to it (`--url`/RELAYKIT_URL, `--token`/RELAYKIT_TOKEN). */
export interface Remote {
  url: string;
  token?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** fetch against the hub with the bearer token; a hub that cannot be reached is a UsageError naming it. */
export async function call(remote: Remote, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (remote.token) headers.set('authorization', `Bearer ${remote.token}`);
  try {
    return await fetch(new URL(path, remote.url), { ...init, headers });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new UsageError(`cannot reach the hub at ${remote.url}: ${(err as Error).message}`);
  }
}

/** The hub's error message of a non-2xx answer (its one error shape), as one line. */
export async function failure(res: Response, what: string): Promise<UsageError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) return new UsageError(`${what}: ${res.status} ${body.error.code}: ${body.error.message}`);
  } catch {
    // not JSON: show the start of the body
  }
  return new UsageError(`${what}: ${res.status} ${text.slice(0, 200)}`);
}

export interface PublishRequest {
  channel?: string;
  to?: string;
  from?: string;
  type: string;
  /** The payload as JSON text. */
  payload: string;
  ttl?: string;
}

/** `POST /messages`; returns the stored message. */
export async function publish(remote: Remote, request: PublishRequest): Promise<Record<string, unknown>> {
  if (!request.channel && !request.to) throw new UsageError('publish needs --channel or --to');
  let payload: unknown;
  try {
    payload = JSON.parse(request.payload);
  } catch {
    throw new UsageError(`the payload is not JSON: ${request.payload} (quote a string: '"hello"')`);
  }
  const body: Record<string, unknown> = { type: request.type, payload };
  for (const key of ['channel', 'to', 'from', 'ttl'] as const) if (request[key] !== undefined) body[key] = request[key];
  const res = await call(remote, '/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw await failure(res, 'publish refused');
  return (await res.json()) as Record<string, unknown>;
}

/** What `relaykit status` gathers: health, plugins and realtime counts (each null when unavailable, with why). */
export interface HubStatus {
  url: string;
  health: { status: string; version?: string; notes?: string[]; checks: Record<string, string> } | null;
  plugins: Array<{ name: string; enabled: boolean; state: string; error?: string }> | string;
  counts: Record<string, number>;
  /** `/admin/status` (with the admin token): node, uptime, config file, the last reload, auth mode. */
  hub?: {
    node: string;
    uptimeSeconds: number;
    configFile: string | null;
    auth: string;
    lastReload: { at: string; origin: string; outcome: string; error?: string } | null;
  };
}

/** Reads `/health/status`, `/admin/plugins`, `/ws/status` and `/stream/stats`, whichever the hub serves. */
export async function status(remote: Remote): Promise<HubStatus> {
  const out: HubStatus = { url: remote.url, health: null, plugins: 'unavailable', counts: {} };
  const health = await call(remote, '/health/status');
  if (health.status === 200 || health.status === 503) {
    const doc = (await health.json()) as {
      status: string;
      releaseId?: string;
      notes?: string[];
      checks?: Record<string, Array<{ status: string; observedValue?: unknown; observedUnit?: string }>>;
    };
    const checks: Record<string, string> = {};
    for (const [name, [first]] of Object.entries(doc.checks ?? {})) {
      if (!first) continue;
      const value =
        first.observedValue === undefined
          ? ''
          : ` ${first.observedValue}${first.observedUnit ? ` ${first.observedUnit}` : ''}`;
      checks[name] = `${first.status}${value}`;
    }
    out.health = { status: doc.status, version: doc.releaseId, notes: doc.notes, checks };
  } else {
    await health.arrayBuffer();
    // Without the health plugin, any answer from the message core still proves the hub is up.
    const alive = await call(remote, '/messages?limit=1');
    await alive.arrayBuffer();
    if (alive.status >= 500) throw new UsageError(`the hub at ${remote.url} answered ${alive.status}`);
  }
  const plugins = await call(remote, '/admin/plugins');
  if (plugins.ok) out.plugins = (await plugins.json()) as Exclude<HubStatus['plugins'], string>;
  else {
    await plugins.arrayBuffer();
    out.plugins = plugins.status === 403 ? 'the admin API is disabled' : 'needs the admin token (--token)';
  }
  if (plugins.ok) {
    const hub = await call(remote, '/admin/status');
    if (hub.ok) out.hub = (await hub.json()) as HubStatus['hub'];
    else await hub.arrayBuffer();
  }
  for (const [path, keys] of [
    ['/ws/status', ['connections', 'channels', 'subscriptions', 'lastId']],
    ['/stream/stats', ['streams', 'clients', 'channels']],
  ] as const) {
    const res = await call(remote, path);
    if (!res.ok) {
      await res.arrayBuffer();
      continue;
    }
    const stats = (await res.json()) as Record<string, unknown>;
    const prefix = path === '/ws/status' ? 'ws' : 'sse';
    for (const key of keys) if (typeof stats[key] === 'number') out.counts[`${prefix}.${key}`] = stats[key] as number;
  }
  return out;
}

/** The status as a few lines for a terminal. */
export function formatStatus(s: HubStatus): string {
  const lines = [`hub      ${s.url}`];
  if (s.hub) {
    const reload = s.hub.lastReload;
    lines.push(
      `node     ${s.hub.node}, up ${Math.round(s.hub.uptimeSeconds)} s`,
      `config   ${s.hub.configFile ?? 'none, defaults'}`,
      `reload   ${reload ? `${reload.outcome} (${reload.origin}) at ${reload.at}${reload.error ? `: ${reload.error}` : ''}` : 'none since start'}`,
      `auth     ${s.hub.auth}`,
    );
  }
  if (s.health) {
    lines.push(`health   ${s.health.status}${s.health.version ? ` (version ${s.health.version})` : ''}`);
    for (const [name, value] of Object.entries(s.health.checks)) lines.push(`  ${name.padEnd(26)} ${value}`);
  } else lines.push('health   the health plugin is not running');
  if (typeof s.plugins === 'string') lines.push(`plugins  ${s.plugins}`);
  else {
    lines.push('plugins');
    for (const p of s.plugins)
      lines.push(`  ${p.name.padEnd(26)} ${p.state}${p.enabled ? '' : ' (disabled)'}${p.error ? `: ${p.error}` : ''}`);
  }
  if (Object.keys(s.counts).length) {
    lines.push('counts');
    for (const [name, value] of Object.entries(s.counts)) lines.push(`  ${name.padEnd(26)} ${value}`);
  }
  return lines.join('\n');
}
