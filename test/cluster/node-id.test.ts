import { expect, test } from 'bun:test';
import { hostname } from 'node:os';
import { defaultNodeId, makeNodeId, NODE_ID_PATTERN, resolveNodeId } from '../../src/cluster/node-id.ts';

test('the default node id names the host and pid, is valid, and stays the same for the process', () => {
  const id = defaultNodeId();
  expect(id).toContain(`-${process.pid}-`);
  expect(id.startsWith(hostname().slice(0, 3))).toBe(true);
  expect(id).toMatch(NODE_ID_PATTERN);
  expect(defaultNodeId()).toBe(id);
  expect(resolveNodeId()).toBe(id);
  expect(resolveNodeId('')).toBe(id);
});

test('two processes with the same host and pid (containers) still get different ids', () => {
  const a = makeNodeId('web', 1);
  const b = makeNodeId('web', 1);
  expect(a).toMatch(/^web-1-[0-9a-f]{6}$/);
  expect(a).not.toBe(b);
});

test('host names a node id cannot hold are made safe', () => {
  expect(makeNodeId('my host/é', 7, new Uint8Array([0, 1, 255]))).toBe('my-host-7-0001ff');
  expect(makeNodeId('---', 7, new Uint8Array([1, 2, 3]))).toBe('node-7-010203');
});

test('a configured node id is used as given, and a bad one is refused naming the field', () => {
  expect(resolveNodeId('eu-west-1.node-3')).toBe('eu-west-1.node-3');
  expect(() => resolveNodeId('has space')).toThrow(/cluster\.nodeId "has space" is not a valid node id/);
  expect(() => resolveNodeId('-leading')).toThrow(/cluster\.nodeId/);
});
