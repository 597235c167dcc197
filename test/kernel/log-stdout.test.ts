/**
 * The JSON logger writes each line to stdout whole before the call returns: a reader
 * that falls behind (the pipe full) slows the writer down but loses and splits
 * nothing, and an exit right after the last call loses no line.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { spawn } from 'bun';

test('a burst of multi-byte lines through a pipe read late arrives whole, every line, in order', async () => {
  const count = 3000;
  const child = spawn(['bun', join(import.meta.dir, 'fixtures/log-burst.ts'), String(count)], {
    stdout: 'pipe',
    stderr: 'inherit',
  });
  // About 6 MB against a pipe buffer of 64 KB: the writer waits on the reader.
  await Bun.sleep(300);
  const text = await new Response(child.stdout).text();
  expect(await child.exited).toBe(0);
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(count);
  lines.forEach((line, i) => {
    const record = JSON.parse(line) as { i: number; msg: string; filler: string };
    expect(record.i).toBe(i);
    expect(record.filler).toHaveLength(1000);
  });
}, 30_000);
