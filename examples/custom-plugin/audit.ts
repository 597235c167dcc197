/**
 * An example third-party plugin: it keeps the last N hub events in memory and
 * streams new ones as NDJSON. Load it with a module path in relaykit.config.yaml:
 *
 * ```yaml
 * plugins:
 *   audit:
 *     module: ./examples/custom-plugin/audit.ts
 *     keep: 50
 * ```
 */
import { type BusEvent, compilePatterns, definePlugin, Elysia, errorResponses, HubError, Type, t } from 'relaykit';

const AuditOptions = Type.Object(
  {
    keep: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'How many recent events to keep' }),
    events: Type.Array(Type.String(), {
      default: ['*'],
      description: 'Event-name patterns to record (`*` wildcards), e.g. ["message.*", "plugin.*"]',
    }),
    label: Type.String({ default: 'audit', description: 'A label added to every record' }),
  },
  { default: {} },
);

interface AuditRecord {
  seq: number;
  label: string;
  event: string;
  at: string;
  payload: unknown;
}

export default definePlugin({
  name: 'audit',
  description: 'Records recent hub events and streams them as NDJSON (an example plugin)',
  options: AuditOptions,
  consumes: ['message.sent', 'plugin.enabled', 'plugin.disabled', 'plugin.reconfigured'],
  setup(ctx) {
    const { keep, events, label } = ctx.options;
    const records: AuditRecord[] = [];
    const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
    const encoder = new TextEncoder();
    let seq = 0;
    const wanted = compilePatterns(events);
    const recorded = ctx.metrics.counter({
      name: 'relaykit_audit_records_total',
      help: 'Events the audit plugin recorded',
    });

    function record(event: BusEvent): void {
      if (!wanted(event.name)) return;
      const entry = {
        seq: ++seq,
        label,
        event: event.name,
        at: new Date(ctx.clock.now()).toISOString(),
        payload: event.payload,
      };
      records.push(entry);
      if (records.length > keep) records.shift();
      recorded.inc();
      const line = encoder.encode(`${JSON.stringify(entry)}\n`);
      for (const stream of streams) stream.enqueue(line);
    }

    return {
      start() {
        ctx.bus.onAny(record);
      },
      stop() {
        // Streams end with the instance; clients reconnect to the new one.
        for (const stream of streams) stream.close();
        streams.clear();
      },
      routes: () =>
        new Elysia({ name: 'relaykit-audit', detail: { tags: ['audit'] } })
          .get('/audit/records', ({ query }) => records.filter((r) => r.seq > (query.after ?? 0)), {
            query: t.Object({ after: t.Optional(t.Integer({ minimum: 0 })) }),
            detail: { summary: 'Recent events the audit plugin recorded' },
          })
          .get(
            '/audit/records/:seq',
            ({ params }) => {
              const found = records.find((r) => r.seq === params.seq);
              if (!found) throw new HubError('RELAYKIT_ERR_NOT_FOUND', `No audit record ${params.seq}`);
              return found;
            },
            {
              params: t.Object({ seq: t.Integer({ minimum: 1 }) }),
              response: { ...errorResponses(404) },
              detail: { summary: 'One audit record' },
            },
          )
          .get(
            '/audit/stream',
            () => {
              let self: ReadableStreamDefaultController<Uint8Array>;
              const body = new ReadableStream<Uint8Array>({
                start(controller) {
                  self = controller;
                  streams.add(controller);
                  controller.enqueue(encoder.encode(`${JSON.stringify({ hello: label })}\n`));
                },
                cancel() {
                  streams.delete(self);
                },
              });
              return new Response(body, { headers: { 'content-type': 'application/x-ndjson' } });
            },
            { detail: { summary: 'New audit records as NDJSON, one per line' } },
          ),
    };
  },
});
