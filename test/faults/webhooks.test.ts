/**
 * Webhooks: a receiver that fails twice still gets the event (retried with backoff), signed as
 * documented, with one event id across attempts; every attempt is visible to the org admin.
 * URLs that would reach inside the network are refused. No request leaves the loopback interface.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { putPolicy, raiseHighRiskItem, sleep, waitFor } from '../helpers/escalation.js';
import { call, createOrganisation, expectProblem, get, type Organisation } from '../helpers/fixtures.js';
import { withTimeout } from '../helpers/processes.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  answeredWith: number;
}

/** A receiver on 127.0.0.1 that answers 500 to the first `failures` requests, then 200. */
async function startReceiver(failures: number) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = received.length < failures ? 500 : 200;
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        answeredWith: status,
      });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const putWebhook = (ctx: TestContext, token: string, url: string) =>
  call(ctx.app, { method: 'PUT', url: '/v1/organisation/webhook', token, payload: { url } });

let ctx: TestContext;
let org: Organisation;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver(2);
  // The default test context: shared Redis under its own QUEUE_PREFIX, http to loopback allowed,
  // webhook retries 100 ms apart.
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
});

afterAll(async () => {
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) =>
    console.error(error),
  );
  await receiver?.close();
});

describe('webhook delivery', () => {
  it('retries a failing receiver until it accepts, with a valid signature and one event id', async () => {
    expect(ctx.config).toMatchObject({ webhookAllowHttpLoopback: true, webhookRetryDelayMs: 100 });
    const configured = await putWebhook(ctx, org.adminToken, receiver.url);
    expect(configured.status, configured.raw).toBe(200);
    expect(configured.body.url).toBe(receiver.url);
    const secret: string = configured.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);

    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 }, // only the first assignment happens in this test
    });
    await ctx.startWorkers();
    const item = await raiseHighRiskItem(ctx, org);
    const escalationId: string = item.escalation.id;

    await waitFor(async () => receiver.received.length >= 3, 20_000, 'the receiver to get three attempts');
    await sleep(1_000); // a fourth attempt, if one were (wrongly) made after the 200, would arrive by now
    expect(receiver.received.map((r) => r.answeredWith)).toEqual([500, 500, 200]);

    const eventIds = new Set(receiver.received.map((r) => r.headers['x-briefings-event-id']));
    expect(eventIds.size, 'the same event id on every attempt').toBe(1);
    for (const request of receiver.received) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/hook');
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      const timestamp = String(request.headers['x-briefings-timestamp']);
      expect(timestamp).toMatch(/^\d+$/);
      expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
      const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${request.rawBody}`).digest('hex')}`;
      expect(request.headers['x-briefings-signature']).toBe(expected);
      const body = JSON.parse(request.rawBody);
      expect(body).toMatchObject({
        id: request.headers['x-briefings-event-id'],
        type: 'escalation.assigned',
        organisationId: org.id,
        data: { escalationId, itemId: item.id, level: 1, recipient: { id: org.middleManager.id } },
      });
    }
    // A signature made with another secret does not match (the check above is not vacuous).
    const last = receiver.received[2]!;
    const forged = `v1=${createHmac('sha256', 'whsec_wrong')
      .update(`${String(last.headers['x-briefings-timestamp'])}.${last.rawBody}`)
      .digest('hex')}`;
    expect(last.headers['x-briefings-signature']).not.toBe(forged);

    const deliveries = await waitFor(
      async () => {
        const response = await get(ctx.app, '/v1/organisation/webhook/deliveries', org.adminToken);
        expect(response.status).toBe(200);
        return response.body.data.length >= 3 ? response.body.data : false;
      },
      10_000,
      'three recorded delivery attempts',
    );
    expect(deliveries).toHaveLength(3);
    const oldestFirst = [...deliveries].reverse();
    expect(
      oldestFirst.map((d: { attempt: number; statusCode: number | null; succeeded: boolean }) => [
        d.attempt,
        d.statusCode,
        d.succeeded,
      ]),
    ).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    for (const d of deliveries) {
      expect(d.notificationId).toBe(receiver.received[0]!.headers['x-briefings-event-id']);
      expect(d.url).toBe(receiver.url);
    }
    expect(oldestFirst[0].error).toMatch(/500/);
    expect(oldestFirst[2].error).toBeNull();
    console.log(
      `[webhooks] delivered after ${deliveries.length} attempts: ${JSON.stringify(
        oldestFirst.map((d: { attempt: number; statusCode: number; durationMs: number }) => [
          d.attempt,
          d.statusCode,
          d.durationMs,
        ]),
      )}`,
    );
  });

  it('delivers every assignment of a climbing escalation, and its reminder', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 1 },
      repeatEverySeconds: 1,
      maxRepeats: 1,
    });
    const item = await raiseHighRiskItem(ctx, org);
    const ofThisEscalation = () =>
      receiver.received
        .map(
          (r) =>
            JSON.parse(r.rawBody) as {
              type: string;
              data: { escalationId: string; level: number; recipient: { id: string } };
            },
        )
        .filter((body) => body.data.escalationId === item.escalation.id);
    await waitFor(
      async () => ofThisEscalation().length >= 3,
      20_000,
      'the assignment, the climb and the reminder to be delivered',
    );
    await sleep(1_500); // anything more (a duplicate, a second reminder) would arrive by now
    // Each delivery is its own job, so their order of arrival is not asserted.
    const delivered = ofThisEscalation().map((body) => [body.type, body.data.level, body.data.recipient.id]);
    expect(delivered.sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      ['escalation.assigned', 1, org.middleManager.id],
      ['escalation.assigned', 2, org.seniorManager.id],
      ['escalation.reminder', 2, org.seniorManager.id],
    ]);
  });

  it('delivers the assignment a manager makes by escalating by hand', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    const item = await raiseHighRiskItem(ctx, org);
    const escalated = await call(ctx.app, {
      method: 'POST',
      url: `/v1/escalations/${item.escalation.id}/escalate`,
      token: org.middleManager.token,
      payload: { reason: 'Needs the division to fund it' },
    });
    expect(escalated.status, escalated.raw).toBe(200);
    const ofThisEscalation = () =>
      receiver.received
        .map(
          (r) =>
            JSON.parse(r.rawBody) as {
              type: string;
              data: { escalationId: string; level: number; recipient: { id: string } };
            },
        )
        .filter((body) => body.data.escalationId === item.escalation.id)
        .map((body) => [body.type, body.data.level, body.data.recipient.id]);
    await waitFor(async () => ofThisEscalation().length >= 2, 20_000, 'both assignments to be delivered');
    expect(ofThisEscalation().sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      ['escalation.assigned', 1, org.middleManager.id],
      ['escalation.assigned', 2, org.seniorManager.id],
    ]);
  });

  it('refuses plain http and internal addresses (400, nothing stored)', async () => {
    for (const [url, problem] of [
      ['http://example.com/hook', 'must use https'],
      ['https://10.0.0.5/hook', 'must not point at an internal address'],
      ['https://169.254.169.254/', 'must not point at an internal address'],
      ['https://192.168.0.10/hook', 'must not point at an internal address'],
      ['https://[fd00::1]/hook', 'must not point at an internal address'],
      // Special-purpose IPv6 forms that carry 127.0.0.1 or are not global unicast:
      ['https://[::127.0.0.1]/hook', 'must not point at an internal address'],
      ['https://[64:ff9b::7f00:1]/hook', 'must not point at an internal address'],
      ['https://[2002:7f00:1::]/hook', 'must not point at an internal address'],
      ['https://[fec0::1]/hook', 'must not point at an internal address'],
    ] as const) {
      const response = await putWebhook(ctx, org.adminToken, url);
      const body = expectProblem(response, 400);
      expect(body.errors, url).toEqual([{ path: 'body.url', message: problem }]);
    }
    // The webhook configured earlier is untouched.
    const own = await get(ctx.app, '/v1/organisation', org.adminToken);
    expect(own.body.settings.webhookUrl).toBe(receiver.url);
  });

  it('only the org admin may set the webhook or read its deliveries', async () => {
    expect((await putWebhook(ctx, org.middleManager.token, receiver.url)).status).toBe(403);
    expect((await get(ctx.app, '/v1/organisation/webhook/deliveries', org.seniorManager.token)).status).toBe(403);
  });
});

describe('webhook URLs without the loopback test override', () => {
  let strict: TestContext;
  let strictOrg: Organisation;

  beforeAll(async () => {
    strict = await createTestContext({ WEBHOOK_ALLOW_HTTP_LOOPBACK: 'false' });
    strictOrg = await createOrganisation(strict.app);
  });
  afterAll(() => strict?.close());

  it('refuses localhost and loopback addresses', async () => {
    expect(strict.config.webhookAllowHttpLoopback).toBe(false);
    for (const [url, problem] of [
      ['https://localhost/', 'must not point at an internal address'],
      ['https://127.0.0.1/hook', 'must not point at an internal address'],
      ['https://[::1]/hook', 'must not point at an internal address'],
      [receiver.url, 'must use https'],
    ] as const) {
      const body = expectProblem(await putWebhook(strict, strictOrg.adminToken, url), 400);
      expect(body.errors, url).toEqual([{ path: 'body.url', message: problem }]);
    }
    // A public https URL is accepted (stored only: nothing is sent until an event happens).
    const accepted = await putWebhook(strict, strictOrg.adminToken, 'https://hooks.example.com/briefings');
    expect(accepted.status, accepted.raw).toBe(200);
  });

  // Regression (src/webhooks/url.ts): ::ffff:0:0/96 in the IPv6 block list matched every IPv4
  // address, so a public IPv4 address was refused here and every IPv4 host at delivery.
  it('accepts an https URL on a public IPv4 address', async () => {
    const accepted = await putWebhook(strict, strictOrg.adminToken, 'https://93.184.215.14/briefings');
    expect(accepted.status, accepted.raw).toBe(200);
  });
});
