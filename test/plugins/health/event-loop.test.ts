import { expect, test } from 'bun:test';
import { EventLoopMonitor } from '../../../plugins/health/system.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Holds the event loop.
  }
}

test('the event-loop monitor samples from its delay after start on, and reports a blocked loop', async () => {
  const monitor = new EventLoopMonitor(100);
  monitor.start();
  try {
    // Within the delay: nothing sampled yet, so the check passes with nothing to report.
    block(60);
    expect(monitor.take()).toBeNull();
    await sleep(150);
    block(120);
    await sleep(60);
    const delay = monitor.take();
    expect(delay?.max).toBeGreaterThan(80);
  } finally {
    monitor.stop();
  }
});

test('a monitor stopped before its delay never starts sampling', async () => {
  const monitor = new EventLoopMonitor(20);
  monitor.start();
  monitor.stop();
  await sleep(60);
  block(40);
  await sleep(30);
  expect(monitor.take()).toBeNull();
});
