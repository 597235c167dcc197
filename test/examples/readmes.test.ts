import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, readmeCommands } from './helpers.ts';

const running: Command[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const command of running.splice(0).reverse()) await command.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs an example README as written, on the port the hub picks (port 0): its `run` block (the hub), then
 * its `try` block line by line (lines ending in `&` keep running in the background).
 * Resolves with the output of each `try` line.
 */
async function runReadme(readme: string): Promise<{ outputs: string[]; background: Command[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'relaykit-readme-example-'));
  dirs.push(dir);
  const [start] = readmeCommands(readme, 'run');
  const hub = new Command(start, {
    env: { RELAYKIT_HOST: '127.0.0.1', RELAYKIT_PORT: '0', RELAYKIT_STORAGE_URL: `sqlite:${dir}/hub.db` },
  });
  running.push(hub);
  const url = await hub.readyUrl();
  // One probe first, as a deployed hub has served before anyone scrapes it: the request
  // histograms the Grafana dashboard reads then have samples.
  expect((await fetch(`${url}/health/live`)).status).toBe(200);
  const outputs: string[] = [];
  const background: Command[] = [];
  for (const line of readmeCommands(readme, 'try')) {
    const onPort = line.replaceAll('localhost:3000', new URL(url).host);
    if (onPort.endsWith('&')) {
      const command = new Command(onPort.slice(0, -1).trim());
      running.push(command);
      background.push(command);
      // Streaming commands print something as soon as they are connected.
      await command.waitForLine(/./);
      continue;
    }
    const command = new Command(onPort);
    expect(await command.finished()).toBe(0);
    outputs.push(command.output);
  }
  return { outputs, background };
}

describe('example READMEs run as written', () => {
  test('custom-plugin: the audit plugin records and streams the message', async () => {
    const { outputs, background } = await runReadme('examples/custom-plugin/README.md');
    const [sent, records] = outputs;
    expect(JSON.parse(sent)).toMatchObject({ channel: 'demo', type: 'hello', payload: { n: 1 } });
    expect(JSON.parse(records).some((r: { event: string }) => r.event === 'message.sent')).toBe(true);
    await background[0].waitForLine(/"event":"message.sent"/);
  }, 30_000);

  test('kubernetes: the endpoints the probes call answer', async () => {
    const { outputs } = await runReadme('examples/kubernetes/README.md');
    expect(outputs).toHaveLength(3);
    for (const output of outputs) expect(JSON.parse(output).status).toBe('pass');
  }, 30_000);

  test('pusher: pusher-js on Node receives the SDK event and the Relaykit message', async () => {
    const { outputs, background } = await runReadme('examples/pusher/README.md');
    expect(JSON.parse(outputs[0])).toEqual({ status: 200 });
    expect(JSON.parse(outputs[1])).toMatchObject({ channel: 'pusher.app-1.chat', type: 'message' });
    expect(JSON.parse(outputs[2]).messages[0]).toMatchObject({ type: 'order.shipped', payload: { id: 7 } });
    await background[0].waitForLine(/"event":"order.shipped","data":\{"id":7\}/);
    await background[0].waitForLine(/"data":\{"text":"from Relaykit"\}/);
  }, 30_000);

  test('grafana: /metrics exposes the series the dashboard reads', async () => {
    const { outputs } = await runReadme('examples/grafana/README.md');
    expect(outputs[0]).toContain('relaykit_build_info{');
    expect(outputs[0]).toContain('relaykit_http_request_duration_seconds_bucket{');
  }, 30_000);
});
