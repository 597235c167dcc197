/**
 * The benchmark's webhook receiver: answers 204 to every POST and counts them.
 * POST /latency parses the envelope and records now - data.createdAt (the message's
 * enqueue time). GET /stats reports, POST /reset starts over.
 *
 *   PORT=4000 bun bench/webhooks/receiver.ts
 */
export {};

const stats = { count: 0, first: 0, last: 0, latencies: [] as number[] };

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (request.method === 'GET' && pathname === '/stats') {
      const sorted = [...stats.latencies].sort((a, b) => a - b);
      return Response.json({
        count: stats.count,
        spanMs: stats.last - stats.first,
        p50ms: percentile(sorted, 50),
        p99ms: percentile(sorted, 99),
      });
    }
    if (pathname === '/reset') {
      Object.assign(stats, { count: 0, first: 0, last: 0, latencies: [] });
      return new Response(null, { status: 204 });
    }
    const body = await request.text();
    const now = Date.now();
    if (!stats.count) stats.first = now;
    stats.count++;
    stats.last = now;
    if (pathname === '/latency') stats.latencies.push(now - Date.parse(JSON.parse(body).data.createdAt));
    return new Response(null, { status: 204 });
  },
});
console.log(server.port);
