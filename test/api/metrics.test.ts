/**
 * GET /metrics: Prometheus text, read back with a text-format parser. Each series is checked to
 * move when its cause happens: a request, a briefing that escalates, relaying, time passing, a
 * step applied late, sealing, a failing webhook, a saturated pool, a blocked event loop.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPendingAudit } from '../../src/audit/sealer.js';
import { escalations } from '../../src/db/schema.js';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { startWorkerHealthServer } from '../../src/health/worker-server.js';
import { createScrape } from '../../src/metrics/scrape.js';
import { metricSources } from '../../src/metric-sources.js';
import { relayOutboxOnce } from '../../src/queue/outbox.js';
import { drainWebhooks } from '../../src/webhooks/queue.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import { call, expectProblem, get, type Organisation } from '../helpers/fixtures.js';
import { Scraped, scrapeApp } from '../helpers/metrics.js';

const TOKEN = 'metrics-scraper-token-0123456789';
let ctx: TestContext;
let org: Organisation;
const scrape = () => scrapeApp(ctx.app, TOKEN);

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({
    env: { METRICS_TOKEN: TOKEN },
    // High risk is acknowledged within 1 s, so a timer falls due while the test watches.
    policy: (org) => ({
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 1 },
    }),
  }));
  // The outbox keeps what briefings write until the test relays it.
  await ctx.relay.stop();
});
afterAll(() => ctx?.close());

async function escalationOf(itemId: string) {
  const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.itemId, itemId));
  expect(row).toBeDefined();
  return row!;
}

describe('GET /metrics', () => {
  it('answers 401 without its token, with another or with an API token, and is not in the OpenAPI document', async () => {
    for (const token of [undefined, 'metrics-scraper-token-wrong-000000', org.adminToken]) {
      const response = await call(ctx.app, { method: 'GET', url: '/metrics', token });
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    }
    const committed = JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as { paths: Record<string, unknown> };
    expect(Object.keys(committed.paths)).not.toContain('/metrics');
    expect(Object.keys((ctx.app.swagger() as { paths: object }).paths)).not.toContain('/metrics');
  });

  it('counts a request in the duration histogram of its route pattern and status, never its URL', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const labels = { method: 'GET', route: '/v1/items/:id', status_code: '200' };
    const before = (await scrape()).histogram('http_request_duration_seconds', labels);
    expect((await get(ctx.app, `/v1/items/${item.id}`, org.wards[0]!.deviceToken)).status).toBe(200);
    const after = await scrape();
    expect(after.histogram('http_request_duration_seconds', labels).count).toBe(before.count + 1);
    expect(after.histogram('http_request_duration_seconds', labels).sum).toBeGreaterThan(before.sum);
    const routes = after.samples('http_request_duration_seconds_count').map((s) => s.labels?.route ?? '');
    expect(routes.some((route) => route.includes(item.id))).toBe(false);
    // A URL no route matches is one series, whatever the URL.
    await call(ctx.app, { method: 'GET', url: `/no/such/${item.id}` });
    const unmatched = (await scrape()).histogram('http_request_duration_seconds', { route: 'unmatched' });
    expect(unmatched.count).toBeGreaterThanOrEqual(1);
  });

  it('a briefing that escalates adds to the outbox and the pending timers; relaying empties the outbox; the deadline passing makes the timer overdue', async () => {
    await relayOutboxOnce(ctx.database.db, ctx.queues);
    // Earlier tests' timers (1 s deadlines) fall due first, so that only this one moves below.
    await waitFor(async () => (await scrape()).value('wsb_escalation_timers_pending') === 0, 5_000, 'earlier timers');
    const before = await scrape();
    expect(before.value('wsb_outbox_backlog')).toBe(0);
    expect(before.value('wsb_outbox_oldest_age_seconds')).toBe(0);

    const item = await raiseHighRiskItem(ctx, org);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const written = await scrape();
    expect(written.value('wsb_outbox_backlog')).toBeGreaterThanOrEqual(1);
    expect(written.value('wsb_outbox_oldest_age_seconds')).toBeGreaterThan(0);
    expect(written.value('wsb_escalation_timers_pending')).toBe(before.value('wsb_escalation_timers_pending') + 1);
    expect(written.value('wsb_metrics_source_up', { source: 'outbox' })).toBe(1);

    expect(await relayOutboxOnce(ctx.database.db, ctx.queues)).toBeGreaterThanOrEqual(1);
    const relayed = await scrape();
    expect(relayed.value('wsb_outbox_backlog')).toBe(0);
    expect(relayed.value('wsb_outbox_oldest_age_seconds')).toBe(0);

    // No worker runs here, so the 1 s deadline passes with its step not applied.
    const { nextStepAt } = await escalationOf(item.id);
    await waitFor(async () => Date.now() > nextStepAt!.getTime() + 50, 5_000, 'the deadline');
    const due = await scrape();
    expect(due.value('wsb_escalation_timers_overdue')).toBeGreaterThanOrEqual(
      written.value('wsb_escalation_timers_overdue') + 1,
    );
    expect(due.value('wsb_escalation_timers_pending')).toBe(written.value('wsb_escalation_timers_pending') - 1);
  });

  it('a step applied 45 s after its due time is observed as 45 s of timer lag', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const row = await escalationOf(item.id);
    const before = (await scrape()).histogram('wsb_escalation_timer_lag_seconds');
    const late = new Date(row.nextStepAt!.getTime() + 45_000);
    expect(await runEscalationStep({ db: ctx.database.db }, { escalationId: row.id, step: row.step }, late)).toBe(
      'climbed',
    );
    const after = (await scrape()).histogram('wsb_escalation_timer_lag_seconds');
    expect(after.count).toBe(before.count + 1);
    expect(after.sum - before.sum).toBeCloseTo(45, 3);
    expect(after.buckets['30']).toBe(before.buckets['30'] ?? 0);
    expect(after.buckets['60']).toBe((before.buckets['60'] ?? 0) + 1);
    // A step that no longer applies (already taken) observes nothing.
    expect(await runEscalationStep({ db: ctx.database.db }, { escalationId: row.id, step: row.step }, late)).toBe(
      'stale',
    );
    expect((await scrape()).histogram('wsb_escalation_timer_lag_seconds').count).toBe(after.count);
  });

  it('audit events waiting to be sealed raise the gauge, and sealing brings it back to 0', async () => {
    await sealPendingAudit(ctx.database.db);
    expect((await scrape()).value('wsb_audit_events_unsealed')).toBe(0);
    await raiseHighRiskItem(ctx, org);
    // The briefing, its item and its escalation: three events, unsealed until the sealer runs.
    expect((await scrape()).value('wsb_audit_events_unsealed')).toBeGreaterThanOrEqual(3);
    expect(await sealPendingAudit(ctx.database.db)).toBeGreaterThanOrEqual(3);
    expect((await scrape()).value('wsb_audit_events_unsealed')).toBe(0);
  });

  it('a webhook delivery that fails moves the failure counter', async () => {
    const receiver = await failingReceiver();
    try {
      const configured = await call(ctx.app, {
        method: 'PUT',
        url: '/v1/organisation/webhook',
        token: org.adminToken,
        payload: { url: receiver.url },
      });
      expect(configured.status, configured.raw).toBe(200);
      const before = (await scrape()).value('wsb_webhook_delivery_failures_total');
      await raiseHighRiskItem(ctx, org);
      const options = { timeoutMs: 2_000, retryDelayMs: 100, allowHttpLoopback: true };
      const result = await drainWebhooks(ctx.database.db, org.id, options);
      expect(result.failed).toBe(1);
      expect(receiver.hits()).toBe(1);
      expect((await scrape()).value('wsb_webhook_delivery_failures_total')).toBe(before + 1);
    } finally {
      await call(ctx.app, { method: 'DELETE', url: '/v1/organisation/webhook', token: org.adminToken });
      await receiver.close();
    }
  });

  it("reports the database pool's connections, and the queries waiting when every one is in use", async () => {
    const idle = await scrape();
    expect(idle.value('wsb_db_pool_max_connections')).toBe(10);
    expect(idle.value('wsb_db_pool_waiting_requests')).toBe(0);
    const sleeps = Promise.all(Array.from({ length: 14 }, () => ctx.database.db.execute(sql`select pg_sleep(0.5)`)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const busy = await scrape();
    expect(busy.value('wsb_db_pool_connections')).toBe(10);
    expect(busy.value('wsb_db_pool_idle_connections')).toBe(0);
    expect(busy.value('wsb_db_pool_waiting_requests')).toBeGreaterThanOrEqual(4);
    await sleeps;
    expect((await scrape()).value('wsb_db_pool_waiting_requests')).toBe(0);
  });

  it('reports event-loop lag: a blocked loop shows in the next scrape', async () => {
    await scrape(); // the delay histogram restarts at each scrape
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blockedUntil = Date.now() + 250;
    while (Date.now() < blockedUntil) {
      /* the event loop is blocked */
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await scrape()).value('nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.2);
  });
});

describe("a worker process's /metrics on its health port", () => {
  it('serves the same metrics behind the same token; without the token it answers 401', async () => {
    const server = await startWorkerHealthServer({
      host: '127.0.0.1',
      port: 0,
      checks: { consumersRunning: () => true, pingDatabase: async () => {}, pingQueue: async () => {} },
      metrics: { token: TOKEN, scrape: createScrape(metricSources(ctx.database)) },
    });
    try {
      const refused = await fetch(`${server.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
      const answered = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(answered.status).toBe(200);
      const scraped = Scraped.parse(await answered.text());
      expect(scraped.family('wsb_escalation_timer_lag_seconds').type).toBe('HISTOGRAM');
      expect(scraped.value('wsb_metrics_source_up', { source: 'timers' })).toBe(1);
    } finally {
      await server.close();
    }
    const without = await startWorkerHealthServer({
      host: '127.0.0.1',
      port: 0,
      checks: { consumersRunning: () => true, pingDatabase: async () => {}, pingQueue: async () => {} },
    });
    try {
      expect((await fetch(`${without.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
        404,
      );
    } finally {
      await without.close();
    }
  });
});

describe('without METRICS_TOKEN', () => {
  it('no /metrics route is registered', async () => {
    const { ctx: plain } = await startApiTest();
    try {
      expect(plain.app.routeTable.some((route) => route.url === '/metrics')).toBe(false);
      expectProblem(await call(plain.app, { method: 'GET', url: '/metrics', token: TOKEN }), 404);
    } finally {
      await plain.close();
    }
  });
});

async function failingReceiver() {
  let hits = 0;
  const server: Server = createServer((request, response) => {
    hits++;
    request.resume();
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
