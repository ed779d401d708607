/**
 * OpenTelemetry traces, with the SDK's in-memory exporter: tracing is set up before the service's
 * modules (and pg, ioredis, the HTTP server) are loaded, as `--import` of src/tracing/register.ts
 * does in production. A briefing recorded over HTTP writes its escalation's timer into the outbox
 * with the request's traceparent; the escalation step that timer runs later is in that trace.
 */
import { register } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/tracing/setup.js';
import type { TestContext } from '../helpers/context.js';
import type { Organisation } from '../helpers/fixtures.js';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const exporter = new InMemorySpanExporter();
const tracing: Tracing = startTracing({ processor: new SimpleSpanProcessor({ exporter }), serviceName: 'traces-test' });

// Loaded only now, so that pg, ioredis and http are instrumented.
const { startApiTest } = await import('../helpers/api-setup.js');
const { briefingBody } = await import('../helpers/fixtures.js');
const { nextDate, waitFor, eventsOf } = await import('../helpers/escalation.js');
const { relayOutboxOnce } = await import('../../src/queue/outbox.js');
const { outbox, escalations } = await import('../../src/db/schema.js');
const { eq } = await import('drizzle-orm');

let ctx: TestContext;
let org: Organisation;
let url: string;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    policy: (org) => ({
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 1 },
    }),
  }));
  // The outbox keeps the timer until the test has read its row.
  await ctx.relay.stop();
  url = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await ctx?.close();
  await tracing.shutdown();
});

const spans = () => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** The span and its ancestors among the finished spans, the span first. */
function ancestry(span: ReadableSpan): ReadableSpan[] {
  const chain = [span];
  for (let current = span; ;) {
    const parent = spans().find((s) => s.spanContext().spanId === parentOf(current));
    if (!parent) return chain;
    chain.push(parent);
    current = parent;
  }
}

describe('traces', () => {
  it("an escalation step's job span continues the trace of the request that recorded the briefing", async () => {
    const ward = org.wards[0]!;
    const response = await fetch(`${url}/v1/briefings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ward.deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(briefingBody(ward.id, { date: nextDate() })),
    });
    expect(response.status).toBe(201);
    const { items } = (await response.json()) as { items: { id: string }[] };

    // The request's span, named after its route pattern, with its queries as children.
    const request = await waitFor(
      async () => spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/briefings'),
      5_000,
      'the request span',
    );
    expect(request.attributes['http.route']).toBe('/v1/briefings');
    const traceId = request.spanContext().traceId;
    const queries = spans().filter((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.CLIENT);
    expect(queries.some((s) => s.instrumentationScope.name.includes('pg'))).toBe(true);

    // The timer's outbox row carries the request's trace context.
    const [escalation] = await ctx.database.db.select().from(escalations).where(eq(escalations.itemId, items[0]!.id));
    const [row] = await ctx.database.db
      .select()
      .from(outbox)
      .where(eq(outbox.jobId, `step-${escalation!.id}-${escalation!.step}`));
    expect(row?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // Relayed (Redis commands traced), then run by a worker once its 1 s deadline passes.
    await relayOutboxOnce(ctx.database.db, ctx.queues);
    await ctx.startWorkers();
    await waitFor(
      async () => (await eventsOf(ctx, escalation!.id)).some((e) => e.type === 'climbed'),
      10_000,
      'the step',
    );
    const step = await waitFor(
      async () =>
        spans().find(
          (s) =>
            s.kind === SpanKind.CONSUMER &&
            s.name === 'process escalation-steps' &&
            s.attributes['bullmq.job.id'] === row!.jobId,
        ),
      5_000,
      'the step span',
    );
    expect(step.spanContext().traceId).toBe(traceId);
    expect(ancestry(step).map((s) => s.spanContext().spanId)).toContain(request.spanContext().spanId);
    // The step's own queries are its children: what it did is in the briefing's trace.
    const stepQueries = spans().filter((s) => parentOf(s) === step.spanContext().spanId && s.kind === SpanKind.CLIENT);
    expect(stepQueries.some((s) => s.instrumentationScope.name.includes('pg'))).toBe(true);
    expect(spans().some((s) => s.instrumentationScope.name.includes('ioredis'))).toBe(true);
  });
});
