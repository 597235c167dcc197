/**
 * The operator's CLI against a live hub, on every runtime: config init, token
 * minting and checking, publish, subscribe and tail (JSON lines, lossless resume
 * across a hub restart) and status. Each command runs as its own process.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'bun';
import { builtinPlugins } from '../../plugins/index.ts';
import { runCli } from '../helpers/process.ts';
import { type E2EHub, forEachRuntime, send, startHub, waitFor } from './harness.ts';

const ADMIN = 'cli-admin-token-1';
const SECRET = 'cli-e2e-jwt-secret-0123456789abcdef';
const CONFIG = `watch: false\nauth:\n  adminToken: ${ADMIN}\n  jwt:\n    secret: ${SECRET}\nplugins:\n  sse:\n    retryMs: 100\n  health:\n    cpu: { warnPercent: 0 }\n    eventLoop: { warnMs: 60000 }\n`;
// (health: `status` must read pass on a busy CI machine too, so no CPU or event-loop warnings.)

const dir = mkdtempSync(join(tmpdir(), 'relaykit-cli-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'hub.yaml'), CONFIG);

forEachRuntime('relaykit client commands', (runtime) => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, dir, { RELAYKIT_URL: '', RELAYKIT_TOKEN: '', ...env }, runtime);

  /** A long-running CLI command whose stdout lines are collected as they come. */
  function background(args: string[], env: Record<string, string> = {}) {
    const proc = spawn([...runtime.command, ...args], {
      cwd: dir,
      env: { ...process.env, ...runtime.env, ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const lines: string[] = [];
    const done = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of proc.stdout as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const parts = buffer.split('\n');
        buffer = parts.pop() ?? '';
        lines.push(...parts.filter(Boolean));
      }
    })();
    const stderr = new Response(proc.stderr).text();
    return { proc, lines, done, stderr };
  }

  const streams = async (hub: E2EHub) =>
    ((await (await hub.request('/stream/stats')).json()) as { streams: number }).streams;

  test('config init writes a commented config with every plugin that config check accepts', async () => {
    const file = `init-${runtime.name}-${runtime.store ?? 'sqlite'}.yaml`;
    const res = await cli(['config', 'init', file]);
    expect(res.code).toBe(0);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const plugin of builtinPlugins) expect(text).toMatch(new RegExp(`\\n  ${plugin.name}:( {})?\\n`));
    expect(text).toContain('# Address to listen on');
    expect((await cli(['config', 'check', file])).code).toBe(0);
    const again = await cli(['config', 'init', file]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`relaykit: ${join(dir, file)} exists; pass --force to replace it`);
    expect((await cli(['config', 'init', '-'])).stdout).toBe(`${text}\n`);
  });

  test('token mints a JWT the hub accepts, and --check prints its claims or says why it is not valid', async () => {
    const minted = await cli([
      'token',
      '--config',
      'hub.yaml',
      '--sub',
      'alice',
      '--channels',
      'room.*',
      '--publish',
      'room.*',
      '--ttl',
      '1h',
    ]);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const checked = await cli(['token', '--config', 'hub.yaml', '--check', token]);
    expect(checked.code).toBe(0);
    const claims = JSON.parse(checked.stdout);
    expect(claims).toMatchObject({ sub: 'alice', channels: ['room.*'], publish: ['room.*'] });
    expect(claims.exp - claims.iat).toBe(3600);
    const forged = await cli(['token', '--config', 'hub.yaml', '--check', `${token.slice(0, -4)}AAAA`]);
    expect(forged.code).toBe(1);
    expect(forged.stderr.trim()).toStartWith('relaykit: The token is not valid');
    const badTtl = await cli(['token', '--config', 'hub.yaml', '--ttl', 'soon']);
    expect(badTtl.code).toBe(1);
    expect(badTtl.stderr).toContain('--ttl: expected a duration like 30s, 15m, 1h or 7d, got "soon"');

    // The hub takes it: a stream on an allowed channel opens, one outside the claim is refused.
    const hub = await startHub(runtime, { config: CONFIG });
    try {
      const allowed = await hub.request('/stream/events?channels=room.a', { token });
      expect(allowed.status).toBe(200);
      await allowed.body?.cancel();
      const refused = await cli(['subscribe', '--url', hub.url, 'other'], { RELAYKIT_TOKEN: token });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('relaykit: the stream was refused: 403');
    } finally {
      await hub.dispose();
    }
  });

  test('publish stores a message; subscribe prints it and resumes across a hub restart without loss', async () => {
    let hub = await startHub(runtime, { config: CONFIG });
    const port = hub.process.port;
    const hubDir = hub.dir;
    // A pattern makes the stream ask for every channel, which takes the admin token.
    const sub = background(['subscribe', '--url', hub.url, 'room', 'alerts.*', '--count', '4'], {
      RELAYKIT_TOKEN: ADMIN,
    });
    try {
      await waitFor(async () => (await streams(hub)) === 1, 10_000, 'the subscriber');
      // A hub with credentials lets no anonymous caller publish: the admin token may.
      const published = await cli(
        ['publish', '--url', hub.url, '--channel', 'room', '--type', 'note', '{"text":"hi"}'],
        { RELAYKIT_TOKEN: ADMIN },
      );
      expect(published.code).toBe(0);
      const stored = JSON.parse(published.stdout);
      expect(stored).toMatchObject({ channel: 'room', type: 'note', payload: { text: 'hi' } });
      expect(await (await hub.request(`/messages/${stored.id}`)).json()).toMatchObject({ id: stored.id });
      await send(hub, { channel: 'alerts.disk', type: 'alert', payload: 1 }, ADMIN);
      await send(hub, { channel: 'elsewhere', type: 'note', payload: 'not for us' }, ADMIN);
      await waitFor(() => sub.lines.length === 2, 10_000, 'two lines');

      // The hub goes away; what is published while the subscriber reconnects still arrives once, in order.
      await hub.stop();
      hub = await startHub(runtime, { config: CONFIG, dir: hubDir, port });
      await send(hub, { channel: 'room', type: 'note', payload: 'after restart' }, ADMIN);
      await send(hub, { channel: 'alerts.cpu', type: 'alert', payload: 2 }, ADMIN);
      expect(await sub.proc.exited).toBe(0);
      await sub.done;
      const got = sub.lines.map((l) => JSON.parse(l));
      expect(got.map((e) => [e.channel, e.data])).toEqual([
        ['room', { text: 'hi' }],
        ['alerts.disk', 1],
        ['room', 'after restart'],
        ['alerts.cpu', 2],
      ]);
      expect(got.map((e) => e.id)).toEqual([...got.map((e) => e.id)].sort((a, b) => a - b));
      expect(await sub.stderr).toContain('reconnecting after message');

      // --since replays from a given id.
      const since = await cli(['subscribe', '--url', hub.url, 'room', '--since', String(stored.id), '--count', '1']);
      expect(JSON.parse(since.stdout)).toMatchObject({ channel: 'room', data: 'after restart' });

      const bad = await cli(['publish', '--url', hub.url, '--channel', 'room', '--type', 'note', '{oops']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('the payload is not JSON');
    } finally {
      sub.proc.kill();
      await hub.dispose();
      rmSync(hubDir, { recursive: true, force: true });
    }
  }, 60_000);

  test('tail prints every channel with the admin token from RELAYKIT_TOKEN; status shows health, plugins and counts', async () => {
    const hub = await startHub(runtime, { config: CONFIG });
    try {
      const first = await send(hub, { channel: 'a', type: 'x', payload: 1 }, ADMIN);
      await send(hub, { to: 'bob', type: 'y', payload: 2 }, ADMIN);
      const tail = await cli(['tail', '--url', hub.url, '--since', String(first.id - 1), '--count', '2'], {
        RELAYKIT_TOKEN: ADMIN,
      });
      expect(tail.code).toBe(0);
      expect(
        tail.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).data),
      ).toEqual([1, 2]);
      const denied = await cli(['tail', '--url', hub.url, '--count', '1']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain('the stream was refused');

      const status = await cli(['status', '--url', hub.url, '--token', ADMIN]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`hub      ${hub.url}`);
      expect(status.stdout).toMatch(/health {3}pass/);
      expect(status.stdout).toMatch(/ {2}webhooks +running/);
      expect(status.stdout).toMatch(/^node {5}\S+, up \d+ s$/m);
      expect(status.stdout).toMatch(/^reload {3}none since start$/m);
      expect(status.stdout).toMatch(/^auth {5}realtime \S+.*, admin token$/m);
      const json = JSON.parse((await cli(['status', '--url', hub.url, '--json'], { RELAYKIT_TOKEN: ADMIN })).stdout);
      expect(json.health.status).toBe('pass');
      expect(json.plugins.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(builtinPlugins.map((p) => p.name)),
      );
      expect(json.counts['ws.lastId']).toBeGreaterThanOrEqual(2);
      expect(json.hub.node).toEqual(expect.any(String));
      const anonymous = await cli(['status', '--url', hub.url]);
      expect(anonymous.stdout).toContain('plugins  needs the admin token (--token)');
      expect(anonymous.stdout).not.toMatch(/^node {5}/m);
    } finally {
      await hub.dispose();
    }
    const gone = await cli(['status', '--url', hub.url]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toStartWith(`relaykit: cannot reach the hub at ${hub.url}`);
  });
});
