/**
 * One trust's trouble stays its own: while trust A's receiver hangs with thousands of A's
 * deliveries queued, trust B's events still arrive within 10 s. A's backlog is not lost: once
 * its receiver answers again, every one of A's events is delivered, each attempt recorded.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { rows as rowsOf } from '../../src/db/sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../src/db/schema.js';
import { insertTogether } from '../../src/db/together.js';
import { notificationsInsert } from '../../src/notifications/service.js';
import { reconcileWebhookJobs } from '../../src/webhooks/queue.js';
import { outboxInsert } from '../../src/queue/outbox.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { putPolicy, raiseHighRiskItem, sleep, waitFor } from '../helpers/escalation.js';
import { call, createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { withTimeout } from '../helpers/processes.js';

const BACKLOG = 3_000;

interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
  at: number;
}

/** A receiver on 127.0.0.1; while `hanging`, it reads each request and never answers it. */
async function startReceiver() {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const state = { hanging: false };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, rawBody: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (state.hanging) held.push(response);
      else response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    state,
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let ctx: TestContext;
let trustA: Organisation;
let trustB: Organisation;
let receiverA: Awaited<ReturnType<typeof startReceiver>>;
let receiverB: Awaited<ReturnType<typeof startReceiver>>;
let secretB: string;

const setWebhook = async (org: Organisation, url: string) => {
  const response = await call(ctx.app, {
    method: 'PUT',
    url: '/v1/organisation/webhook',
    token: org.adminToken,
    payload: { url },
  });
  expect(response.status, response.raw).toBe(200);
  return response.body.secret as string;
};

beforeAll(async () => {
  [receiverA, receiverB] = await Promise.all([startReceiver(), startReceiver()]);
  // The default test context (webhook retries 100 ms apart) with the production request timeout.
  ctx = await createTestContext({ WEBHOOK_TIMEOUT_MS: '10000' });
  trustA = await createOrganisation(ctx.app);
  trustB = await createOrganisation(ctx.app);
  await setWebhook(trustA, receiverA.url);
  secretB = await setWebhook(trustB, receiverB.url);
  for (const org of [trustA, trustB]) {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
  }
});

afterAll(async () => {
  receiverA.state.hanging = false;
  await withTimeout(ctx?.close() ?? Promise.resolve(), 60_000, 'the test context to close').catch((error: unknown) =>
    console.error(error),
  );
  await Promise.all([receiverA?.close(), receiverB?.close()]);
});

/**
 * Trust A's backlog, written in bulk as the escalation engine writes notifications: one real
 * escalation, then BACKLOG reminders of it (steps 2..), each with its webhook delivery.
 */
async function queueBacklogOfTrustA() {
  const first = await raiseHighRiskItem(ctx, trustA);
  const escalationA: string = first.escalation.id;
  const now = new Date();
  const backlog = notificationsInsert(
    Array.from({ length: BACKLOG }, (_, i) => ({
      organisationId: trustA.id,
      escalationId: escalationA,
      recipientStaffId: trustA.middleManager.id,
      type: 'reminder' as const,
      step: i + 2,
      level: 0,
      dueAt: now,
      createdAt: now,
    })),
    true,
  );
  await ctx.database.db.transaction((tx) => insertTogether(tx, [...backlog.inserts, outboxInsert(backlog.webhooks)]));
  await ctx.relay.drain();
}

/** Trust A's delivery attempts, once every event has one that succeeded. */
async function recordedAttempts() {
  return waitFor(
    async () => {
      const rows = await ctx.database.db
        .select({
          notificationId: webhookDeliveries.notificationId,
          attempt: webhookDeliveries.attempt,
          succeeded: webhookDeliveries.succeeded,
        })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.organisationId, trustA.id))
        .orderBy(webhookDeliveries.id);
      return rows.filter((r) => r.succeeded).length >= BACKLOG + 1 ? rows : false;
    },
    20_000,
    "trust A's attempts to be recorded",
  );
}

describe('webhook isolation between trusts', { timeout: 240_000 }, () => {
  it("delivers trust B's event within 10 s while trust A's receiver hangs with thousands of deliveries queued", async () => {
    receiverA.state.hanging = true;
    await queueBacklogOfTrustA();

    await ctx.startWorkers();
    await waitFor(async () => receiverA.received.length >= 1, 20_000, "trust A's receiver to be holding a delivery");

    const started = Date.now();
    const itemB = await raiseHighRiskItem(ctx, trustB);
    const eventB = await waitFor(
      async () => receiverB.received.find((r) => JSON.parse(r.rawBody).data.escalationId === itemB.escalation.id),
      60_000,
      "trust B's event",
    );
    const elapsedMs = eventB.at - started;
    const hangingA = receiverA.received.length;
    console.log(
      `[webhook-isolation] trust B's event arrived after ${elapsedMs} ms; trust A: ${BACKLOG + 1} queued, ${hangingA} requests held by its hanging receiver`,
    );
    expect(elapsedMs, "trust B's delivery time with trust A's backlog").toBeLessThan(10_000);

    // Trust B's event is signed and shaped as always.
    const timestamp = String(eventB.headers['x-briefings-timestamp']);
    expect(eventB.headers['x-briefings-signature']).toBe(
      `v1=${createHmac('sha256', secretB).update(`${timestamp}.${eventB.rawBody}`).digest('hex')}`,
    );
    expect(JSON.parse(eventB.rawBody)).toMatchObject({
      type: 'escalation.assigned',
      organisationId: trustB.id,
      data: { escalationId: itemB.escalation.id, level: 1, recipient: { id: trustB.middleManager.id } },
    });
    // The hanging receiver was not flooded: one delivery at a time, each failure followed by its backoff.
    expect(hangingA).toBeLessThanOrEqual(3);

    // Trust A's receiver answers again: every one of its events arrives, none is lost.
    receiverA.state.hanging = false;
    const notificationIds = await rowsOf<{ id: string }>(
      ctx.database.db,
      sql`select id::text from notifications where organisation_id = ${trustA.id} order by step`,
    );
    const expected = notificationIds.map((r) => r.id);
    expect(expected).toHaveLength(BACKLOG + 1);
    const deliveredA = () => new Set(receiverA.received.map((r) => String(r.headers['x-briefings-event-id'])));
    await waitFor(async () => deliveredA().size >= BACKLOG + 1, 180_000, "every one of trust A's events");
    const drainedAt = Date.now();
    expect([...deliveredA()].sort()).toEqual([...expected].sort());

    // Each attempt is recorded: one success per event, attempts numbered 1, 2, ... per event.
    const attempts = await recordedAttempts();
    const byEvent = new Map<string, { attempt: number; succeeded: boolean }[]>();
    for (const row of attempts) byEvent.set(row.notificationId, [...(byEvent.get(row.notificationId) ?? []), row]);
    expect(byEvent.size).toBe(BACKLOG + 1);
    for (const [id, rows] of byEvent) {
      expect(
        rows.map((r) => r.attempt),
        id,
      ).toEqual(rows.map((_, i) => i + 1));
      expect(
        rows.filter((r) => r.succeeded),
        id,
      ).toHaveLength(1);
      expect(rows.at(-1)!.succeeded, id).toBe(true);
    }
    const retried = [...byEvent.values()].filter((rows) => rows.length > 1).length;
    console.log(
      `[webhook-isolation] trust A's ${BACKLOG + 1} events all delivered ${((drainedAt - started) / 1000).toFixed(1)} s after B's event was raised; ${retried} needed more than one attempt; ${attempts.length} attempts recorded`,
    );
  });

  it('rebuilds from PostgreSQL what Redis lost, and takes over a job written before per-trust delivery', async () => {
    // Two of trust B's events whose jobs Redis lost: queued in PostgreSQL, nothing in Redis.
    const item = await raiseHighRiskItem(ctx, trustB);
    await waitFor(
      async () => receiverB.received.some((r) => JSON.parse(r.rawBody).data.escalationId === item.escalation.id),
      20_000,
      'the assignment',
    );
    const lost = notificationsInsert(
      [5, 6].map((step) => ({
        organisationId: trustB.id,
        escalationId: item.escalation.id,
        recipientStaffId: trustB.middleManager.id,
        type: 'reminder' as const,
        step,
        level: 0,
        dueAt: new Date(),
      })),
      true,
    );
    await ctx.database.db.transaction((tx) => insertTogether(tx, lost.inserts)); // no outbox row: the job is "lost"
    const ofSteps = () =>
      receiverB.received.filter((r) => JSON.parse(r.rawBody).data.escalationId === item.escalation.id).length;
    await sleep(1_500);
    expect(ofSteps(), 'nothing is sent without the job').toBe(1);
    const report = await reconcileWebhookJobs(ctx.database.db, ctx.queues);
    expect(report).toEqual({ organisations: 1, restored: 1 });
    await waitFor(async () => ofSteps() >= 3, 20_000, 'the two restored deliveries');
    expect(await reconcileWebhookJobs(ctx.database.db, ctx.queues)).toEqual({ organisations: 0, restored: 0 });

    // A job in Redis from before (one notification id, its own job): its event is delivered once.
    const legacy = notificationsInsert(
      [
        {
          organisationId: trustB.id,
          escalationId: item.escalation.id,
          recipientStaffId: trustB.middleManager.id,
          type: 'reminder' as const,
          step: 7,
          level: 0,
          dueAt: new Date(),
        },
      ],
      false,
    );
    await ctx.database.db.transaction((tx) => insertTogether(tx, legacy.inserts));
    const [{ id: legacyId }] = (await rowsOf<{ id: string }>(
      ctx.database.db,
      sql`select id::text from notifications where escalation_id = ${item.escalation.id} and step = 7`,
    )) as [{ id: string }];
    await ctx.queues.get('webhooks').add('deliver', { notificationId: legacyId }, { jobId: `webhook-${legacyId}` });
    await waitFor(
      async () => receiverB.received.some((r) => r.headers['x-briefings-event-id'] === legacyId),
      20_000,
      'the legacy job to be delivered',
    );
    await sleep(500);
    expect(receiverB.received.filter((r) => r.headers['x-briefings-event-id'] === legacyId)).toHaveLength(1);
  });
});
