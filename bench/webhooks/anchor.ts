/**
 * The anchor: a plain fetch POST loop at the same concurrency as the webhooks worker,
 * sending a body of the same size, with no signing, no database and no retries.
 *
 *   bun bench/webhooks/anchor.ts <url> <count> <concurrency> <bodyBytes> [warmup]
 *
 * With `warmup`, that many requests go first, unmeasured (the driver's `--warmup`); the
 * receiver is reset after them.
 */
export {};

const [url, countArg, concurrencyArg, bytesArg, warmupArg] = process.argv.slice(2);
const warmup = Number(warmupArg ?? 0);
const body = JSON.stringify({
  id: 'msg_anchor',
  type: 'message.sent',
  data: 'x'.repeat(Math.max(0, Number(bytesArg) - 60)),
});
let next = 0;
let failed = 0;

async function loop(count: number): Promise<void> {
  while (next < count) {
    next++;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    if (res.status >= 300) failed++;
  }
}

const concurrency = Number(concurrencyArg);
if (warmup > 0) {
  await Promise.all(Array.from({ length: concurrency }, () => loop(warmup)));
  // The receiver counts the measured requests only (its rate is over their span).
  await fetch(new URL('/reset', url), { method: 'POST' });
}
next = 0;
const count = Number(countArg);
const cpu = process.cpuUsage();
await Promise.all(Array.from({ length: concurrency }, () => loop(count)));
if (failed) console.error(`${failed} anchor requests failed`);
const used = process.cpuUsage(cpu);
// The driver reads this line: CPU time per request, robust to other load on the machine.
console.log(JSON.stringify({ cpuUsPerRequest: (used.user + used.system) / count }));
