import { afterEach, expect, test } from 'bun:test';
import { startTestHub, type TestHub, waitFor } from '../helpers/hub.ts';
import { memoryLogger } from '../helpers/logger.ts';

let t: TestHub;
afterEach(() => t?.stop());

test('access logs carry the request id the client sent, the route template and the status', async () => {
  const log = memoryLogger();
  t = await startTestHub({ logger: log, overrides: { log: { requests: true } } });
  const res = await t.request('/messages/42', { headers: { 'x-request-id': 'trace-me-123' } });
  expect(res.status).toBe(404);
  expect(res.headers.get('x-request-id')).toBe('trace-me-123');
  const find = () => log.lines.find((l) => l.msg === 'request' && l.requestId === 'trace-me-123');
  await waitFor(() => Boolean(find()), 2000, 'access log line');
  const line = find();
  expect(line).toMatchObject({ level: 'info', method: 'GET', route: '/messages/:id', status: '404' });
});

test('no access log unless asked for', async () => {
  const log = memoryLogger();
  t = await startTestHub({ logger: log });
  await t.request('/messages');
  expect(log.lines.filter((l) => l.msg === 'request')).toEqual([]);
});
