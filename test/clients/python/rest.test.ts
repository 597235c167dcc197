import { afterAll, afterEach, beforeAll, expect, test } from 'bun:test';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { INSTALL_TIMEOUT_MS, installedPython, PythonScript, type Report, removeVenvs } from './python.ts';

const ADMIN = 'python-admin-token-of-32-characters';
let t: TestHub | null = null;
let script: PythonScript | null = null;
beforeAll(() => installedPython(), INSTALL_TIMEOUT_MS);
afterEach(async () => {
  script?.kill();
  await t?.stop();
  t = script = null;
});
afterAll(removeVenvs);

test('Python REST: send, cursor paging, get, ack, admin operations, and the hub error codes as typed exceptions', async () => {
  t = await startTestHub({ overrides: { auth: { adminToken: ADMIN } } });
  script = await PythonScript.start('rest.py', { RK_URL: t.url, RK_ADMIN_TOKEN: ADMIN });
  expect(await script.finish()).toBe(0);
  const one = (kind: string): Report => {
    const [line] = script?.of(kind) ?? [];
    if (!line) throw new Error(`no ${kind} line; stderr: ${script?.stderr}`);
    return line;
  };
  const { ids, direct } = one('sent') as Report & { ids: number[]; direct: number };
  expect(one('sent')).toMatchObject({ sender: 'planner', to: 'worker' });
  expect(one('page')).toMatchObject({ ids: ids.slice(0, 2), next: ids[1] });
  expect(one('all').ids).toEqual(ids);
  expect(one('for_worker').ids).toEqual([direct]);
  expect(one('get')).toMatchObject({ id: ids[1], payload: { n: 1 }, delivered: null });
  expect(one('ack')).toMatchObject({ delivered: true });
  const stored = (await (await t.request(`/messages/${ids[1]}`)).json()) as { deliveredAt: string | null };
  expect(stored.deliveredAt).not.toBeNull();

  expect(one('missing')).toMatchObject({
    cls: 'MessageNotFoundError',
    code: 'RELAYKIT_ERR_MESSAGE_NOT_FOUND',
    status: 404,
  });
  expect(one('invalid')).toMatchObject({
    cls: 'ValidationError',
    code: 'RELAYKIT_ERR_VALIDATION',
    status: 422,
    details: true,
  });
  expect(one('no_admin')).toMatchObject({ cls: 'UnauthorizedError', code: 'RELAYKIT_ERR_UNAUTHORIZED', status: 401 });
  expect(one('unreachable')).toMatchObject({ cls: 'HubUnreachableError', code: 'RELAYKIT_CLIENT_UNREACHABLE' });
  expect(one('plugins').names).toContain('metrics');
  expect(one('disabled')).toMatchObject({ enabled: false, state: 'stopped' });
  expect(one('disabled').changes).toEqual([expect.objectContaining({ name: 'metrics' })]);
  expect(one('unknown_plugin')).toMatchObject({ cls: 'PluginNotFoundError', status: 404 });
  expect(one('reloaded').keys).toEqual(['changes', 'plugins']);
  expect(typeof one('broadcast').id).toBe('number');
}, 30_000);
