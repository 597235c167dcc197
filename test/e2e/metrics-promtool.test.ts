/** `/metrics` passes `promtool check metrics` (Debian's prometheus package) with no finding, on every runtime. */
import { expect, test } from 'bun:test';
import { forEachRuntime, send, startHub } from './harness.ts';

const PROMTOOL = Bun.which('promtool');

async function promtool(text: string): Promise<{ code: number; output: string }> {
  if (!PROMTOOL) throw new Error('promtool is not on PATH (apt-get install prometheus; .ci/run installs it)');
  const proc = Bun.spawn([PROMTOOL, 'check', 'metrics'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  proc.stdin.write(text);
  await proc.stdin.end();
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, output: (out + err).trim() };
}

forEachRuntime('metrics exposition', (runtime) => {
  test('promtool check metrics finds nothing after traffic', async () => {
    const hub = await startHub(runtime);
    try {
      await send(hub, { channel: 'room', type: 'note', payload: { text: 'hi' } });
      await hub.request('/messages?limit=5');
      await hub.request('/no/such/route');
      const res = await hub.request('/metrics');
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('relaykit_messages_published_total');
      expect(await promtool(text)).toEqual({ code: 0, output: '' });
    } finally {
      await hub.dispose();
    }
  });
});
