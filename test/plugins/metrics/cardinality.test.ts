import { afterEach, describe, expect, test } from 'bun:test';
import { ManualClock } from '../../../src/kernel/clock.ts';
import { startTestHub, type TestHub } from '../../helpers/hub.ts';
import { nextRun } from '../health/fixtures.ts';
import { parseExposition, sampleValue } from './exposition.ts';
import { testPlugins } from './fixtures.ts';

let t: TestHub;
afterEach(async () => {
  await t?.stop();
});

async function scrape() {
  return parseExposition(await (await t.request('/metrics')).text());
}

describe('cardinality guard', () => {
  test('caps the label sets of a metric fed by user-supplied values and counts what it dropped', async () => {
    t = await startTestHub({ overrides: { plugins: { metrics: { maxSeriesPerMetric: 5 } } } });
    // Message types are chosen by clients: 20 distinct first segments make 20 label values.
    for (let i = 0; i < 20; i++) {
      const res = await t.request('/messages', {
        method: 'POST',
        json: { to: 'x', type: `tenant${i}.event`, payload: i },
      });
      expect(res.status).toBe(201);
    }
    const { samples } = await scrape();
    const published = samples.filter((s) => s.name === 'relaykit_messages_published_total');
    expect(published.map((s) => s.labels.type)).toEqual(['tenant0', 'tenant1', 'tenant2', 'tenant3', 'tenant4']);
    expect(
      sampleValue(samples, 'relaykit_metrics_series_dropped_total', { metric: 'relaykit_messages_published_total' }),
    ).toBe(15);

    // The dropped series are gone from the metric itself, so memory stays bounded too.
    const again = (await scrape()).samples;
    expect(again.filter((s) => s.name === 'relaykit_messages_published_total')).toHaveLength(5);

    // A histogram keeps whole series: every bucket, _sum and _count of the kept label sets.
    const buckets = again.filter((s) => s.name === 'relaykit_http_request_duration_seconds_bucket');
    const series = new Set(buckets.map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status}`));
    expect(series.size).toBeLessThanOrEqual(5);
    expect(buckets.length).toBe(series.size * 15);
  });

  test('refuses a metric whose label name carries user-supplied values, and says so in health', async () => {
    const clock = new ManualClock();
    t = await startTestHub({
      plugins: testPlugins,
      clock,
      // Only the cardinality check may move the verdict: a loaded machine must not turn CPU or event-loop checks.
      overrides: {
        plugins: {
          probe: { label: 'channel' },
          health: { cpu: { warnPercent: 0 }, eventLoop: { warnMs: 0, failMs: 0 } },
        },
      },
    });
    const { families } = await scrape();
    expect(families.some((f) => f.name === 'relaykit_test_probe_events_total')).toBe(false);
    expect(families.some((f) => f.name === 'relaykit_test_probe_latency_seconds')).toBe(true);

    await nextRun(t, clock);
    const res = await t.request('/health/status');
    expect(res.status).toBe(200);
    const status = await res.json();
    expect(status.status).toBe('warn');
    expect(status.checks['metrics:cardinality'][0]).toMatchObject({
      status: 'warn',
      output: 'relaykit_test_probe_events_total uses the forbidden label "channel"',
      affectsReadiness: false,
    });
  });
});
