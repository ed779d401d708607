/**
 * POST /v1/briefings with five items under load (autocannon), against the baseline server on the
 * same database in the same run. Every request is a new briefing: its own ward and date (dates go
 * back from the day before the generated year, as an import of paper proformas would), its own
 * Idempotency-Key. Rounds alternate the order of baseline and service to cancel drift.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { resolvePrincipal } from '../../src/auth/plugin.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { newBriefingSchema } from '../../src/briefings/schemas.js';
import { recordBriefing } from '../../src/briefings/service.js';
import { freePort, waitHealthy } from '../../test/helpers/processes.js';
import { cpuMs, machineCpuMs, startBaseline, stopChild } from '../lib/children.js';
import { daysBefore, type BenchContext } from '../lib/context.js';
import { recordingDatabase, type RecordedStatement } from '../lib/database.js';
import { captureBody, ITEMS_PER_CAPTURE } from '../lib/demo-mix.js';
import { tokenFor } from '../lib/generate.js';
import { median, ratio } from '../lib/stats.js';

export interface CannonRun {
  server: 'service' | 'baseline';
  connections: number;
  round: number;
  seconds: number;
  ok: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  transactionsPerRequest: number;
  rowsInsertedPerRequest: number;
  /** CPU time the server process used per 2xx answer, and how busy the whole machine was (both cores). */
  serverCpuMsPerRequest: number;
  machineBusyPercent: number;
  /** Service runs: audit events still unsealed when the load stopped, and when the sealer had caught up. */
  auditSealing?: { pendingAtEnd: number; sealedAfterMs: number | null };
}

export interface CaptureComparison {
  connections: number;
  service: { throughput: number; p50: number; p99: number };
  baseline: { throughput: number; p50: number; p99: number };
  throughputRatio: number;
  p99Ratio: number;
}

export interface Census {
  statements: number;
  inTransaction: number;
  totalMs: number;
  /** From taking an audit lock to the end of the commit (0: the request takes none; events are sealed in the background). */
  auditLockHeldMs: number;
  byKind: Record<string, { count: number; ms: number }>;
  escalationsStarted: number;
}

export interface CaptureResult {
  itemsPerRequest: number;
  seconds: number;
  rounds: number;
  runs: CannonRun[];
  comparisons: CaptureComparison[];
  census: Census;
}

/** Every request across every run gets the next index: its own ward, date and key. */
let nextIndex = 0;

function requestFor(ctx: BenchContext, i: number, run: string) {
  const wards = ctx.people.wards;
  const ward = wards[i % wards.length]!;
  const date = daysBefore(ctx.period.from, 1 + Math.floor(i / wards.length));
  return {
    ward,
    body: captureBody(i, ward.id, date),
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${tokenFor(ward.id)}`,
      'idempotency-key': `bench-${run}-${i}`,
    },
  };
}

async function databaseCounters(client: pg.Client) {
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // statistics are flushed about once a second
  const { rows } = await client.query(
    `SELECT xact_commit::bigint AS commits, tup_inserted::bigint AS inserted FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { commits: Number(rows[0]!.commits), inserted: Number(rows[0]!.inserted) };
}

/**
 * The audit events the service's sealer had not yet sealed when the load stopped, and how long
 * until it had sealed them all (null if not within 60 s).
 */
async function sealingBacklog(client: pg.Client) {
  const pending = async () =>
    Number((await client.query(`SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL`)).rows[0]!.n);
  const started = performance.now();
  const pendingAtEnd = await pending();
  let left = pendingAtEnd;
  while (left > 0 && performance.now() - started < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await pending();
  }
  return { pendingAtEnd, sealedAfterMs: left === 0 ? Math.round(performance.now() - started) : null };
}

/** Waits until no statement of the bench database is running (the last run's stragglers are done). */
async function settle(client: pg.Client) {
  const deadline = Date.now() + 60_000;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    const { rows } = await client.query(
      `SELECT count(*)::int AS busy FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND state NOT IN ('idle')`,
    );
    quiet = rows[0]!.busy === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function cannon(ctx: BenchContext, port: number, connections: number, seconds: number, run: string) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/briefings',
        setupRequest: (request) => {
          const { body, headers } = requestFor(ctx, nextIndex++, run);
          return { ...request, headers, body: JSON.stringify(body) };
        },
      },
    ],
  });
}

const KIND_OF: [RegExp, string][] = [
  [/^(begin|commit|rollback)/i, 'transaction'],
  [/pg_advisory_xact_lock|"audit_events"/, 'audit chain'],
  [/similarity\(/, 'repeat detection'],
  [/"api_tokens"|"staff_wards"/, 'authentication'],
  [
    /"escalation_policies"|"escalations"|"escalation_events"|"escalation_assignees"|"notifications"|"outbox"|"webhook_url"/,
    'escalation',
  ],
  [/"item_priorities"|coalesce\("items"."thread_id"/, 'presenting items'],
];

function census(statements: RecordedStatement[], escalationsStarted: number): Census {
  const byKind: Census['byKind'] = {};
  for (const s of statements) {
    const kind = KIND_OF.find(([pattern]) => pattern.test(s.text))?.[1] ?? 'briefing and items';
    const entry = (byKind[kind] ??= { count: 0, ms: 0 });
    entry.count++;
    entry.ms += s.doneAt - s.sentAt;
  }
  for (const entry of Object.values(byKind)) entry.ms = Math.round(entry.ms * 100) / 100;
  const begin = statements.findIndex((s) => /^begin/i.test(s.text));
  const commit = statements.findIndex((s) => /^commit/i.test(s.text));
  const lock = statements.find((s) => s.text.includes('pg_advisory_xact_lock'));
  return {
    statements: statements.length,
    inTransaction: begin === -1 ? 0 : commit - begin + 1,
    totalMs: Math.round((statements[statements.length - 1]!.doneAt - statements[0]!.sentAt) * 100) / 100,
    auditLockHeldMs: lock ? Math.round((statements[commit]!.doneAt - lock.doneAt) * 100) / 100 : 0,
    byKind,
    escalationsStarted,
  };
}

/** One request recorded in-process (the service's own code, no HTTP): what it asks of PostgreSQL. */
async function recordOne(ctx: BenchContext): Promise<Census> {
  const rec = recordingDatabase(ctx.databaseUrl);
  try {
    // Warm the connections first so the census times statements, not connecting.
    for (let i = 0; i < 3; i++) {
      const { ward, body } = requestFor(ctx, nextIndex++, 'census');
      const principal = (await resolvePrincipal(rec.db, tokenFor(ward.id))) as TenantPrincipal;
      await recordBriefing({ db: rec.db, relay: { nudge() {} } }, principal, newBriefingSchema.parse(body));
    }
    const { ward, body } = requestFor(ctx, nextIndex++, 'census');
    const { result, statements } = await rec.record(async () => {
      const principal = (await resolvePrincipal(rec.db, tokenFor(ward.id))) as TenantPrincipal;
      return recordBriefing({ db: rec.db, relay: { nudge() {} } }, principal, newBriefingSchema.parse(body));
    });
    return census(statements, result.items.filter((item) => item.escalation !== null).length);
  } finally {
    await rec.close();
  }
}

export async function runCapture(
  ctx: BenchContext,
  options: { seconds: number; rounds: number; connections: number[] },
): Promise<CaptureResult> {
  const baselinePort = await freePort();
  const baseline = startBaseline(ctx.databaseUrl, baselinePort);
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  const runs: CannonRun[] = [];
  let censusResult: Census;
  // Start past the dates an earlier run on this database used (--reuse).
  const used = await client.query<{ days: number }>(
    `SELECT coalesce($1::date - min(date), 0)::int AS days FROM briefings WHERE date < $1::date`,
    [ctx.period.from],
  );
  nextIndex = Math.max(nextIndex, used.rows[0]!.days * ctx.people.wards.length);
  try {
    await waitHealthy(baseline, baselinePort, 60_000);
    censusResult = await recordOne(ctx);
    ctx.log(
      `  census: ${censusResult.statements} statements per request (${censusResult.inTransaction} in an explicit transaction), ` +
        `audit lock held ${censusResult.auditLockHeldMs} ms of ${censusResult.totalMs} ms`,
    );
    for (let round = 1; round <= options.rounds; round++) {
      // Odd rounds: baseline first at each concurrency; even rounds: the same runs in reverse order.
      const order = options.connections.flatMap((c) =>
        (['baseline', 'service'] as const).map((server) => ({ server, c })),
      );
      for (const { server, c } of round % 2 === 1 ? order : order.reverse()) {
        const port = server === 'service' ? ctx.apiPort : baselinePort;
        const run = `${server}-${c}-${round}-${Date.now().toString(36)}`;
        await settle(client);
        await cannon(ctx, port, c, 3, `${run}-warm`);
        await settle(client);
        ctx.phase(`capture ${server} ${c}`);
        const before = await databaseCounters(client);
        const serverPid = server === 'service' ? ctx.api.pid : baseline.pid;
        const [cpuBefore, machineBefore] = [cpuMs(serverPid) ?? 0, machineCpuMs()];
        const result = await cannon(ctx, port, c, options.seconds, run);
        const [cpuAfter, machineAfter] = [cpuMs(serverPid) ?? 0, machineCpuMs()];
        ctx.phase('between runs');
        const sealing = server === 'service' ? await sealingBacklog(client) : null;
        const after = await databaseCounters(client);
        const ok = result['2xx'];
        const entry: CannonRun = {
          server,
          connections: c,
          round,
          seconds: result.duration,
          ok,
          throughput: Math.round((ok / result.duration) * 10) / 10,
          latencyMs: {
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            max: result.latency.max,
            mean: result.latency.average,
          },
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes: Object.fromEntries(
            Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v?.count ?? 0]),
          ),
          transactionsPerRequest: Math.round(((after.commits - before.commits) / Math.max(1, ok)) * 10) / 10,
          rowsInsertedPerRequest: Math.round(((after.inserted - before.inserted) / Math.max(1, ok)) * 10) / 10,
          serverCpuMsPerRequest: Math.round(((cpuAfter - cpuBefore) / Math.max(1, ok)) * 100) / 100,
          machineBusyPercent: Math.round(
            (100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total),
          ),
          ...(sealing ? { auditSealing: sealing } : {}),
        };
        runs.push(entry);
        ctx.log(
          `  capture ${server} c=${c} round ${round}: ${entry.throughput} req/s, p50 ${entry.latencyMs.p50} ms, ` +
            `p99 ${entry.latencyMs.p99} ms, non-2xx ${entry.non2xx}, errors ${entry.errors}, ` +
            `${entry.serverCpuMsPerRequest} ms of server CPU a request, machine ${entry.machineBusyPercent}% busy` +
            (sealing
              ? `; audit events unsealed at the end ${sealing.pendingAtEnd}, all sealed ${sealing.sealedAfterMs} ms later`
              : ''),
        );
      }
    }
  } finally {
    await stopChild(baseline);
    await client.end();
  }
  const comparisons = compare(runs, options.connections);
  const result: CaptureResult = {
    itemsPerRequest: ITEMS_PER_CAPTURE,
    seconds: options.seconds,
    rounds: options.rounds,
    runs,
    comparisons,
    census: censusResult,
  };
  return result;
}

/** Per concurrency: medians over rounds of each server's throughput and latency, and their ratios. */
export function compare(runs: CannonRun[], connections: number[]): CaptureComparison[] {
  return connections.map((c): CaptureComparison => {
    const of = (server: 'service' | 'baseline') => {
      const mine = runs.filter((r) => r.server === server && r.connections === c);
      const round = (n: number) => Math.round(n * 10) / 10;
      return {
        throughput: round(median(mine.map((r) => r.throughput))),
        p50: round(median(mine.map((r) => r.latencyMs.p50))),
        p99: round(median(mine.map((r) => r.latencyMs.p99))),
      };
    };
    const service = of('service');
    const baselineFigures = of('baseline');
    return {
      connections: c,
      service,
      baseline: baselineFigures,
      throughputRatio: ratio(service.throughput, baselineFigures.throughput),
      p99Ratio: ratio(service.p99, baselineFigures.p99),
    };
  });
}
