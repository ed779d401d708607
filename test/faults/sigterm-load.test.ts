/**
 * SIGTERM under load: a service process (API and workers) is stopped while clients are posting
 * briefings and escalation timers are running. To make "in flight" certain rather than lucky,
 * the test holds a lock (in its own database) that every briefing and every escalation step
 * needs, so at the moment of SIGTERM requests and jobs are provably inside the process; the
 * lock is released a second later. Claims: every request already accepted is answered (2xx, no
 * connection reset), later ones are refused at connect time or answered 503 with a problem
 * document and Retry-After, the process exits 0, and no BullMQ job is left active (stalled) in
 * Redis. A request whose client gave up before SIGTERM still finishes (its briefing stored, its
 * Idempotency-Key recorded) before the database is closed.
 */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SHUTDOWN_RETRY_AFTER_SECONDS } from '../../src/http/shutdown.js';
import { newHighRiskProblem, nextDate, sleep, waitFor } from '../helpers/escalation.js';
import type { TestContext } from '../helpers/context.js';
import { briefingBody, type Organisation } from '../helpers/fixtures.js';
import { storedBriefings, storedIdempotencyKeys } from '../helpers/stored-rows.js';
import { withTimeout } from '../helpers/processes.js';
import { escalationsOfOrganisation } from './chain-checks.js';
import {
  ownDatabaseAdmin,
  parseRawAnswer,
  problemDefect,
  sendJson,
  spawnApiService,
  useFaultSetup,
  type RunningService,
  type SendResult,
} from './service-harness.js';

const CLIENTS = 12;
const ACK_SECONDS = 1;
/** The client of the abandoned request gives up after this long without an answer. */
const ABANDON_AFTER_MS = 800;

const setup = useFaultSetup({ ackSeconds: ACK_SECONDS, policyOn: 'every-ward' });

type DatabaseAdmin = Awaited<ReturnType<typeof ownDatabaseAdmin>>;

interface Outcome {
  res: SendResult;
  startedAt: number;
  endedAt: number;
}

/**
 * A connection the server has certainly accepted (it answered one request on it) that has sent
 * the first lines of a second request: the server cannot close it as idle, and the rest of the
 * request can be sent at any moment, e.g. after SIGTERM.
 */
async function connectionWithHalfARequest(port: number, firstLines: string) {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let data = '';
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(async () => /\r\n\r\n\{"status":"ok"\}$/.test(data), 10_000, 'the first answer on the kept connection');
  data = '';
  socket.write(firstLines);
  return {
    /** Sends the rest of the request and reads the answer (the server closes the connection after it). */
    finish: async (rest: string) => {
      const started = performance.now();
      socket.write(rest);
      await withTimeout(closed, 10_000, 'the answer on the kept connection');
      return parseRawAnswer(data, performance.now() - started);
    },
  };
}

/** Resolves once nothing listens on the port any more (the server has begun closing). */
async function untilRefused(port: number) {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = connect(port, '127.0.0.1');
        probe.once('connect', () => {
          probe.destroy();
          resolve(false);
        });
        probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
      }),
    10_000,
    'the listener to close',
  );
}

/** CLIENTS clients, each posting briefings (every fourth listing items) on a new connection per request, until stopped. */
function startLoad(baseUrl: string, org: Organisation) {
  const outcomes: Outcome[] = [];
  let sending = true;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    const ward = org.wards[client % 2]!;
    while (sending) {
      const startedAt = performance.now();
      // A new connection per request: a refusal after the listener closed is then an
      // unambiguous ECONNREFUSED, never the keep-alive race of a reused socket.
      const res =
        client % 4 === 3
          ? await sendJson(baseUrl, 'GET', '/v1/items?limit=5', org.adminToken, undefined, {
              fresh: true,
              timeoutMs: 20_000,
            })
          : await sendJson(
              baseUrl,
              'POST',
              '/v1/briefings',
              ward.deviceToken,
              briefingBody(ward.id, { date: nextDate(), items: [newHighRiskProblem()] }),
              {
                fresh: true,
                timeoutMs: 20_000,
              },
            );
      outcomes.push({ res, startedAt, endedAt: performance.now() });
      if (res.error === 'ECONNREFUSED') await sleep(50);
    }
  });
  return {
    outcomes,
    stop: async () => {
      sending = false;
      await Promise.all(clients);
    },
  };
}

/**
 * A request whose client gives up: it waits on a lock of its own (its Idempotency-Key record),
 * held by `keys` until well after everything else has finished. (First, while the pool still has
 * a connection free for it.)
 */
async function abandonRequestOnHeldLock(keys: DatabaseAdmin, baseUrl: string, ward: Organisation['wards'][number]) {
  const abandonedKey = randomUUID();
  const abandonedDate = nextDate();
  await keys.client.query('begin');
  await keys.client.query('lock table idempotency_keys in exclusive mode');
  const abandonedRequest = sendJson(
    baseUrl,
    'POST',
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, { date: abandonedDate }),
    { headers: { 'idempotency-key': abandonedKey }, fresh: true, timeoutMs: ABANDON_AFTER_MS },
  );
  await waitFor(
    async () => (await keys.waitingOnTable('idempotency_keys')) >= 1,
    10_000,
    'the abandoned request to wait on its lock',
  );
  const abandoned = await abandonedRequest;
  return { abandoned, abandonedKey, abandonedDate };
}

/**
 * Holds `admin`'s lock on the escalation events, so that requests and step jobs are certainly in
 * flight, sends SIGTERM, sends the rest of a request on an accepted connection, then lets go.
 */
async function signalWithWorkInFlight(
  admin: DatabaseAdmin,
  service: RunningService,
  ctx: TestContext,
  org: Organisation,
) {
  const queue = ctx.queues.get('escalation-steps');
  const ward = org.wards[0]!;
  // Every briefing and every escalation step writes an escalation event: hold them all. The
  // escalations created before it have 1 s timers, so step jobs queue on the lock too.
  await admin.client.query('begin');
  await admin.client.query('lock table escalation_events in share mode');
  await waitFor(
    async () => (await admin.waitingOnLocks()) >= 4 && (await queue.getActiveCount()) >= 1,
    20_000,
    'requests and step jobs to queue on the lock',
  );
  // A request in flight on a keep-alive connection: answered, then its connection closed
  // (not left open for the keep-alive timeout, holding the shutdown up).
  const keptAliveRequest = sendJson(
    service.baseUrl,
    'POST',
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, { date: nextDate() }),
    {
      headers: { connection: 'keep-alive' },
      timeoutMs: 20_000,
    },
  );
  // A request arriving during shutdown on a connection the server had already accepted.
  const kept = await connectionWithHalfARequest(service.port, 'GET /v1/items?limit=1 HTTP/1.1\r\nHost: x\r\n');

  await sleep(300);
  const waitingOnLock = await admin.waitingOnLocks();
  const activeAtSignal = await queue.getActiveCount();
  const signalAt = performance.now();
  service.handle.child.kill('SIGTERM');
  await untilRefused(service.port);
  const late = await kept.finish(`Authorization: Bearer ${org.adminToken}\r\n\r\n`);
  await sleep(1_000);
  await admin.client.query('commit');
  const keptAlive = await keptAliveRequest;
  // Everything else finishes now; the process must still be waiting for the abandoned request.
  await sleep(1_500);
  const aliveWhileAbandonedRuns = service.handle.isRunning();
  return { waitingOnLock, activeAtSignal, signalAt, late, keptAlive, aliveWhileAbandonedRuns };
}

/** SIGTERM with a request abandoned by its client, requests and step jobs held inside the process. */
async function shutDownWithWorkInFlight(service: RunningService, ctx: TestContext, org: Organisation) {
  const admin = await ownDatabaseAdmin(ctx.config.databaseUrl!);
  const keys = await ownDatabaseAdmin(ctx.config.databaseUrl!);
  try {
    const abandonment = await abandonRequestOnHeldLock(keys, service.baseUrl, org.wards[0]!);
    return { ...abandonment, ...(await signalWithWorkInFlight(admin, service, ctx, org)) };
  } finally {
    await admin.client.query('commit').catch(() => undefined);
    await admin.close();
    await keys.client.query('commit').catch(() => undefined);
    await keys.close();
  }
}

/** The outcomes by when they were sent (before or after SIGTERM) and how they were answered. */
function classify(outcomes: Outcome[], signalAt: number) {
  const before = outcomes.filter((o) => o.startedAt < signalAt);
  const after = outcomes.filter((o) => o.startedAt >= signalAt);
  const inFlight = before.filter((o) => o.endedAt > signalAt);
  const notAnswered = inFlight.filter((o) => o.res.status === 0);
  // A request sent before SIGTERM must never be dropped; one sent after it may be refused:
  // at connect (listener closed), by a reset of a connection the process never accepted
  // (still in the kernel's listen backlog when the listener closed), or with a 503 problem.
  const resets = before.filter((o) => o.res.status === 0);
  const errors = before.filter((o) => o.res.status >= 500);
  const refused = after.filter((o) => o.res.error === 'ECONNREFUSED');
  const backlogResets = after.filter((o) => o.res.status === 0 && o.res.error !== 'ECONNREFUSED');
  const shed = after.filter((o) => o.res.status === 503);
  const servedAfter = after.filter((o) => o.res.status >= 200 && o.res.status < 300);
  const otherAfter = after.filter(
    (o) => o.res.status !== 0 && o.res.status !== 503 && !(o.res.status >= 200 && o.res.status < 300),
  );
  const ok = outcomes.filter((o) => o.res.status >= 200 && o.res.status < 300);
  return {
    before,
    after,
    inFlight,
    notAnswered,
    resets,
    errors,
    refused,
    backlogResets,
    shed,
    servedAfter,
    otherAfter,
    ok,
  };
}

/**
 * Requests arriving while the process shuts down get a problem document, not Fastify's own
 * JSON: with Retry-After, and the connection closed after it.
 */
function expectShutdownProblem(res: SendResult) {
  expect(res.status, res.body).toBe(503);
  expect(problemDefect(res), res.body).toBeNull();
  expect(JSON.parse(res.body)).toMatchObject({
    title: 'Service temporarily unavailable',
    detail: 'The service is shutting down; retry shortly',
  });
  expect(res.headers['retry-after']).toBe(String(SHUTDOWN_RETRY_AFTER_SECONDS));
  expect(String(res.headers.connection).toLowerCase()).toBe('close');
}

describe('SIGTERM under load', () => {
  it('answers every accepted request, finishes the jobs in flight, exits 0 and leaves no job active', async () => {
    const { ctx, org, target } = setup;
    const service = await spawnApiService(target, {
      role: 'all',
      env: { WORKER_STALLED_INTERVAL_MS: '1000', OUTBOX_RELAY_INTERVAL_MS: '100' },
    });
    await service.healthy();
    const queue = ctx.queues.get('escalation-steps');
    const load = startLoad(service.baseUrl, org);
    const outcomes = load.outcomes;

    // Load, with escalation timers (1 s) coming due all the time: wait for escalations to exist
    // and for their timers to have started running (a slow machine takes longer).
    await sleep(2_000);
    await waitFor(
      async () => (await escalationsOfOrganisation(ctx, org.id)).length >= 10 && (await queue.getCompletedCount()) >= 1,
      30_000,
      'escalations whose timers are running',
    );
    const {
      abandoned,
      abandonedKey,
      abandonedDate,
      waitingOnLock,
      activeAtSignal,
      signalAt,
      late,
      keptAlive,
      aliveWhileAbandonedRuns,
    } = await shutDownWithWorkInFlight(service, ctx, org);
    const exit = await withTimeout(service.handle.exited, 30_000, 'the process to exit after SIGTERM');
    const exitedAfterMs = performance.now() - signalAt;
    await load.stop();

    const { inFlight, notAnswered, resets, errors, refused, backlogResets, shed, servedAfter, otherAfter, ok } =
      classify(outcomes, signalAt);

    const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'completed', 'failed');
    const escalations = await escalationsOfOrganisation(ctx, org.id);
    const [abandonedKeyRow] = await storedIdempotencyKeys(ctx, abandonedKey);
    const abandonedStored = await storedBriefings(ctx, org.wards[0]!.id, abandonedDate);
    console.log(
      `[sigterm] ${CLIENTS} clients, ${outcomes.length} requests (${ok.length} 2xx); at SIGTERM ${inFlight.length} requests in flight ` +
        `(${waitingOnLock} database sessions waiting on the held locks, ${activeAtSignal} step jobs active): ` +
        `${inFlight.length - notAnswered.length}/${inFlight.length} answered 2xx; of requests sent before SIGTERM ${resets.length} ` +
        `dropped, ${errors.length} 5xx; after SIGTERM ${refused.length} refused at connect, ${backlogResets.length} reset unaccepted, ` +
        `${shed.length} shed with 503, ${servedAfter.length} served; in flight on a keep-alive connection: ${keptAlive?.status} ` +
        `connection ${keptAlive?.headers.connection}; sent after SIGTERM on an accepted connection: ${late?.status} ` +
        `${late?.headers['content-type']} retry-after ${late?.headers['retry-after']}; request abandoned by its client (${abandoned?.error}) finished: briefing ` +
        `${abandonedStored.length === 1 ? 'stored' : 'MISSING'}, Idempotency-Key ${abandonedKeyRow?.state ?? 'MISSING'} ` +
        `${abandonedKeyRow?.responseStatus ?? ''}; exit code ${exit.code} ${exitedAfterMs.toFixed(0)} ms after SIGTERM; ` +
        `queue afterwards: ${JSON.stringify(counts)}; ${escalations.length} escalations`,
    );
    expect(exit.code, service.handle.stderr().slice(-3000)).toBe(0);
    expect(inFlight.length, 'requests were in flight at SIGTERM').toBeGreaterThan(0);
    expect(
      inFlight
        .filter((o) => o.res.status < 200 || o.res.status >= 300)
        .map((o) => `${o.res.status || o.res.error} ${o.res.body.slice(0, 200)}`),
    ).toEqual([]);
    expect(
      resets.map((o) => o.res.error),
      'requests sent before SIGTERM that were reset or hung',
    ).toEqual([]);
    expect(errors.map((o) => `${o.res.status} ${o.res.body.slice(0, 200)}`)).toEqual([]);
    expect(
      otherAfter.map((o) => `${o.res.status} ${o.res.body.slice(0, 200)}`),
      'answers after SIGTERM',
    ).toEqual([]);
    expect(activeAtSignal, 'step jobs were running at SIGTERM').toBeGreaterThan(0);
    expect(counts.active, 'jobs left active (stalled) in Redis').toBe(0);
    expect(counts.failed, 'failed jobs').toBe(0);

    expect(keptAlive?.status, keptAlive?.body).toBe(201);
    expect(keptAlive?.headers.connection).toBe('close');

    // Requests arriving while the process shuts down: 503 problem documents.
    for (const res of [late, ...shed.map((o) => o.res)]) expectShutdownProblem(res);

    // The abandoned request ran to its end before the database closed: stored once, its key
    // recorded with the 201 a retry will replay; nothing was logged as cut short.
    expect(abandoned?.error, 'the abandoned request was given up by its client').toBe('timeout');
    expect(aliveWhileAbandonedRuns, 'the process waited for the abandoned request').toBe(true);
    expect(abandonedStored).toHaveLength(1);
    expect(abandonedKeyRow).toMatchObject({ state: 'completed', responseStatus: 201 });
    expect(service.handle.stdout() + service.handle.stderr()).not.toMatch(
      /closing with requests still running|Cannot use a pool/,
    );

    // Every briefing answered 201 is stored with its escalation (none half-written).
    const created = ok.filter((o) => o.res.status === 201).length;
    expect(escalations.length).toBe(created + 1 + abandonedStored.length);
  }, 90_000);
});
