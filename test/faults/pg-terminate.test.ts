/**
 * PostgreSQL connections killed under load: while 20 clients post briefings and read lists
 * against a real service process for ~10 s, every connection to the test's database except the
 * test's own admin connection is terminated (pg_terminate_backend) once a second. The process
 * must survive; a request caught by a termination fails cleanly (503 problem document, within a
 * few seconds, never a hang or a dropped connection); and once the terminations stop every
 * request succeeds again.
 */
import { randomUUID } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefings } from '../../src/db/schema.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { sleep } from '../helpers/escalation.js';
import { briefingBody, createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { killAllChildren, withTimeout } from '../helpers/processes.js';
import {
  ownDatabaseAdmin,
  problemDefect,
  sendJson,
  spawnApiService,
  type RunningService,
  type SendResult,
} from './service-harness.js';

const CLIENTS = 20;
const STORM_MS = 10_000;
const TERMINATE_EVERY_MS = 1_000;
/** A request caught by a termination must be answered within this. */
const ANSWER_WITHIN_MS = 8_000;

let ctx: TestContext;
let org: Organisation;
let service: RunningService;

beforeAll(async () => {
  ctx = await createTestContext();
  // The terminations hit every connection of this database, this process's pool included:
  // nothing here may be using it meanwhile (the relay's transactions would be).
  await ctx.relay.stop();
  org = await createOrganisation(ctx.app);
  service = await spawnApiService(
    { databaseUrl: ctx.config.databaseUrl!, redisUrl: ctx.config.redisUrl, queuePrefix: ctx.config.queuePrefix },
    { role: 'api', env: { OUTBOX_RELAY_INTERVAL_MS: '200' } },
  );
  await service.healthy();
}, 60_000);

afterAll(async () => {
  await killAllChildren('service');
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) =>
    console.error(error),
  );
});

let day = 0;
/** A date of its own per briefing: a briefing that failed is never retried, so never a 409. */
function nextDate() {
  const date = new Date(Date.UTC(2000, 0, 1) + day++ * 86_400_000);
  return date.toISOString().slice(0, 10);
}

/** Every briefing posted: its key and body, to retry the ones caught by a termination. */
const posted: { key: string; token: string; body: ReturnType<typeof briefingBody>; res?: SendResult }[] = [];

function postBriefing(entry: (typeof posted)[number]) {
  return sendJson(service.baseUrl, 'POST', '/v1/briefings', entry.token, entry.body, {
    timeoutMs: 15_000,
    headers: { 'idempotency-key': entry.key },
  });
}

/** One client's next request: mostly writes (transactions, each with its Idempotency-Key), some reads. */
async function request(client: number, n: number): Promise<SendResult> {
  const ward = org.wards[client % 2]!;
  switch (n % 4) {
    case 3:
      return sendJson(service.baseUrl, 'GET', '/v1/items?limit=20', org.adminToken, undefined, { timeoutMs: 15_000 });
    case 2:
      return sendJson(service.baseUrl, 'GET', `/v1/briefings?wardId=${ward.id}&limit=10`, ward.deviceToken, undefined, {
        timeoutMs: 15_000,
      });
    default: {
      const entry: (typeof posted)[number] = {
        key: randomUUID(),
        token: ward.deviceToken,
        body: briefingBody(ward.id, {
          date: nextDate(),
          items: [
            {
              kind: 'problem',
              category: 'equipment',
              description: `Pump ${client}-${n} failing its check`,
              consequence: 4,
              likelihood: 3,
            },
            { kind: 'good_practice', category: 'communication', description: 'Handover on time' },
          ],
        }),
      };
      posted.push(entry);
      entry.res = await postBriefing(entry);
      return entry.res;
    }
  }
}

/** CLIENTS send requests for STORM_MS while every other connection to the database is terminated, again and again. */
async function stormOfTerminations() {
  const admin = await ownDatabaseAdmin(ctx.config.databaseUrl!);
  const results: { res: SendResult; during: boolean }[] = [];
  let storming = true;
  let terminated = 0;
  let rounds = 0;
  try {
    const killer = (async () => {
      await sleep(500);
      while (storming) {
        terminated += await admin.terminateOthers();
        rounds++;
        await sleep(TERMINATE_EVERY_MS);
      }
    })();
    const stopAt = Date.now() + STORM_MS;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        // (A crashed process answers nothing: stop rather than spin on refused connections.)
        for (let n = 0; Date.now() < stopAt && service.handle.isRunning(); n++) {
          results.push({ res: await request(client, n), during: true });
        }
      }),
    );
    storming = false;
    await killer;
  } finally {
    storming = false;
    await admin.close();
  }
  return { results, terminated, rounds };
}

/** After the storm: a short settling time for the pool, then three rounds of requests. */
async function requestsAfterTheStorm() {
  await sleep(1_000);
  const after: SendResult[] = [];
  for (let round = 0; round < 3; round++) {
    after.push(
      ...(await Promise.all(Array.from({ length: CLIENTS }, (_, client) => request(client, round * CLIENTS + client)))),
    );
  }
  return after;
}

describe('every PostgreSQL connection terminated, repeatedly, under load', () => {
  it('the process survives, requests caught by it fail cleanly with 503, and all succeed afterwards', async () => {
    const { results, terminated, rounds } = await stormOfTerminations();
    const survived = service.handle.isRunning();

    // After the storm, everything must succeed.
    const after = await requestsAfterTheStorm();

    const during = results.map((r) => r.res);
    const ok = during.filter((r) => r.status >= 200 && r.status < 300);
    const unavailable = during.filter((r) => r.status === 503);
    const other = during.filter((r) => !(r.status >= 200 && r.status < 300) && r.status !== 503);
    const slow = during.filter((r) => r.ms > ANSWER_WITHIN_MS);
    const badProblems = unavailable.map(problemDefect).filter(Boolean);
    const afterOk = after.filter((r) => r.status >= 200 && r.status < 300);
    console.log(
      `[pg-terminate] ${CLIENTS} clients for ${STORM_MS / 1000} s, ${rounds} rounds of pg_terminate_backend (${terminated} connections killed): ` +
        `${during.length} requests, ${ok.length} 2xx, ${unavailable.length} 503, ${other.length} other ` +
        `(${tallyOf(other)}); answer time median ${percentile(during, 0.5)} ms, p95 ${percentile(during, 0.95)} ms, ` +
        `slowest ${Math.max(...during.map((r) => r.ms)).toFixed(0)} ms (limit ${ANSWER_WITHIN_MS} ms); ` +
        `process ${survived ? 'alive' : 'CRASHED'}; afterwards ${afterOk.length}/${after.length} 2xx`,
    );
    expect(survived, `the service process died:\n${service.handle.stderr().slice(-3000)}`).toBe(true);
    if (other.length)
      console.log(`[pg-terminate] what the service logged for those: ${unhandledErrors(service.handle.stdout())}`);
    expect(terminated, 'connections were terminated').toBeGreaterThan(rounds);
    expect(
      other.map((r) => `${r.status || r.error}: ${r.body.slice(0, 200)}`),
      'answers other than 2xx and 503',
    ).toEqual([]);
    expect(badProblems, '503 answers that are not problem documents').toEqual([]);
    expect(
      slow.map((r) => `${r.status} after ${r.ms.toFixed(0)} ms`),
      `answers slower than ${ANSWER_WITHIN_MS} ms`,
    ).toEqual([]);
    expect(unavailable.length, 'some requests were caught by a termination').toBeGreaterThan(0);
    expect(
      after.map((r) => r.status).filter((s) => s < 200 || s >= 300),
      'requests after the storm',
    ).toEqual([]);

    // Every briefing whose client got a 503, retried with its key: the answer of what happened
    // (201, stored or replayed), and exactly one briefing per key, never a 409.
    const caught = posted.filter((entry) => entry.res?.status === 503);
    const retried = await Promise.all(caught.map((entry) => postBriefing(entry)));
    const replayed = retried.filter((r) => r.headers['idempotent-replayed'] === 'true').length;
    const counts = await briefingsPerDate(posted.map((entry) => entry.body.date));
    console.log(
      `[pg-terminate] ${caught.length} briefings answered 503 retried with their Idempotency-Key: ` +
        `${retried.filter((r) => r.status === 201).length} 201 (${replayed} replayed: committed before the connection died), ` +
        `${retried.filter((r) => r.status !== 201).length} other; briefings stored per posted key: ${tallyOf2(counts)}`,
    );
    expect(
      retried.map((r) => r.status).filter((status) => status !== 201),
      'retries of briefings caught by a termination',
    ).toEqual([]);
    expect(
      posted
        .filter((entry) => entry.res?.status === 201 || entry.res?.status === 503)
        .map((entry) => counts.get(entry.body.date) ?? 0)
        .filter((n) => n !== 1),
      'briefings stored for a posted key other than exactly one',
    ).toEqual([]);
    expect(service.handle.isRunning()).toBe(true);
  }, 60_000);
});

/** How many briefings are stored for each of these dates (each posted briefing has its own date). */
async function briefingsPerDate(dates: string[]) {
  const rows = await ctx.database.db
    .select({ date: briefings.date, n: sql<number>`count(*)::int` })
    .from(briefings)
    .where(inArray(briefings.date, dates))
    .groupBy(briefings.date);
  return new Map(rows.map((row) => [row.date, row.n]));
}

function tallyOf2(counts: Map<string, number>) {
  const byCount = new Map<number, number>();
  for (const n of counts.values()) byCount.set(n, (byCount.get(n) ?? 0) + 1);
  return [...byCount.entries()].map(([n, dates]) => `${dates} with ${n}`).join(', ') || 'none';
}

function tallyOf(list: SendResult[]) {
  const counts = new Map<string, number>();
  for (const r of list) {
    const key = r.status ? String(r.status) : (r.error ?? 'no answer');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([k, n]) => `${n}x${k}`).join(', ') || 'none';
}

/** The distinct errors the service logged as unhandled (500s), by type and message. */
function unhandledErrors(stdout: string) {
  const seen = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line.includes('"unhandled error"')) continue;
    try {
      const err = (
        JSON.parse(line) as {
          err?: {
            errorType?: string;
            message?: string;
            causes?: { errorType?: string; message?: string; code?: string }[];
          };
        }
      ).err;
      const chain = [err, ...(err?.causes ?? [])].map(
        (e) =>
          `${e?.errorType}: ${e?.message}${(e as { code?: string })?.code ? ` (${(e as { code?: string }).code})` : ''}`,
      );
      const key = chain.join(' <- ');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    } catch {
      /* not a log line */
    }
  }
  return [...seen.entries()].map(([key, n]) => `${n}x ${key}`).join('; ') || 'nothing';
}

function percentile(list: SendResult[], p: number) {
  const sorted = list.map((r) => r.ms).sort((a, b) => a - b);
  return (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(0);
}
