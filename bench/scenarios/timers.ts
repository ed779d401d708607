/**
 * 10,000 escalations whose acknowledge deadline falls in the same minute. They are written as
 * startEscalations writes them (escalation, started event, assignee, notification, and the timer as
 * an outbox row), the worker processes' relays move the timers into BullMQ, and each deadline
 * climbs the chain. Lag is the climbed event's createdAt minus the deadline it missed.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import pg from 'pg';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { jobIds, redisOptions } from '../../src/queue/queues.js';
import { recordingDatabase } from '../lib/database.js';
import { startWorker, stopChild } from '../lib/children.js';
import type { BenchContext } from '../lib/context.js';
import { summarise, type LatencySummary } from '../lib/stats.js';
import type { ChildHandle } from '../../test/helpers/processes.js';

export interface TimerResult {
  escalations: number;
  workerProcesses: number;
  workerConcurrency: number;
  windowSeconds: number;
  fired: number;
  lagMs: LatencySummary;
  duplicates: { climbedEvents: number; distinctEscalations: number; auditClimbed: number; step2Notifications: number };
  stepsPerSecond: number;
  peakStepsPerSecond: number;
  firstFiredAfterWindowStartMs: number;
  drainedSecondsAfterLastDeadline: number;
  /** One timer step run in-process after the load (a reminder: a climb's statements less one). */
  oneStep: { statements: number; ms: number; auditLockHeldMs: number };
}

/** Runs the next step (a reminder) of one escalation that climbed, on a recording connection. */
async function recordOneStep(databaseUrl: string, escalationId: string, dueAt: Date) {
  const rec = recordingDatabase(databaseUrl);
  try {
    const { statements } = await rec.record(() => runEscalationStep({ db: rec.db }, { escalationId, step: 2 }, dueAt));
    const lock = statements.find((x) => x.text.includes('pg_advisory_xact_lock'));
    const commit = statements.find((x) => /^commit/i.test(x.text));
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      statements: statements.length,
      ms: round(statements[statements.length - 1]!.doneAt - statements[0]!.sentAt),
      auditLockHeldMs: lock && commit ? round(commit.doneAt - lock.doneAt) : 0,
    };
  } finally {
    await rec.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const WINDOW_SECONDS = 60;
const LEAD_SECONDS = 20;

async function startWorkers(ctx: BenchContext, queue: Queue, workers: ChildHandle[], count: number) {
  for (let i = 0; i < count; i++) workers.push(startWorker(ctx.target));
  const deadline = Date.now() + 60_000;
  while ((await queue.getWorkersCount()) < count) {
    const dead = workers.find((w) => !w.isRunning());
    if (dead) throw new Error(`worker exited early:\n${dead.stderr().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error('workers did not connect within 60 s');
    await sleep(200);
  }
}

/** Writes the escalations and their timers (table t_timer lists them); returns their deadlines' span. */
async function writeTimers(ctx: BenchContext, client: pg.Client, count: number) {
  const [leadSeconds, windowSeconds] = [LEAD_SECONDS, WINDOW_SECONDS];
  const [jobPrefix, jobSuffix] = jobIds.escalationStep('\u0000', 1).split('\u0000') as [string, string];
  await client.query('BEGIN');
  // The escalations: created an hour before their deadline (extreme band: acknowledge within 1 h),
  // deadlines spread at random over one minute starting `leadSeconds` from now.
  await client.query('BEGIN');
  await client.query(
    `CREATE TEMP TABLE t_timer AS
     SELECT n, gen_random_uuid() AS escalation_id, gen_random_uuid() AS item_id, w.id AS ward_id, w.organisation_id AS org_id,
            t.id AS token_id, ((n / w.wards) / 100)::int AS day, ((n / w.wards) % 100)::int AS position,
            (p.levels->>0)::uuid AS first_id, (p.levels->>1)::uuid AS director_id,
            (p.ack_within_seconds->>'extreme')::int AS ack_s,
            now() + interval '${leadSeconds} seconds' + random() * interval '${windowSeconds} seconds' AS due_at
     FROM generate_series(0, $1::int - 1) n
     JOIN (SELECT id, organisation_id, row_number() OVER (ORDER BY code) - 1 AS k, count(*) OVER () AS wards
           FROM wards WHERE organisation_id = $2) w ON w.k = n % w.wards
     JOIN api_tokens t ON t.ward_id = w.id AND t.kind = 'ward_device'
     JOIN escalation_policies p ON p.ward_id = w.id`,
    [count, ctx.people.organisationId],
  );
  // Their briefings are dated in 2001 and after (after any earlier run's), clear of all other data.
  await client.query(`
    CREATE TEMP TABLE t_brief AS
    SELECT gen_random_uuid() AS id, ward_id, org_id, token_id,
           (SELECT coalesce(max(date) + 1, date '2001-01-01') FROM briefings WHERE date < date '2020-01-01') + day AS date,
           day, min(due_at - ack_s * interval '1 second') AS at
    FROM t_timer GROUP BY ward_id, org_id, token_id, day;
    INSERT INTO briefings (id, organisation_id, ward_id, date, shift, held, facilitator, recorded_by_token_id, created_at)
    SELECT id, org_id, ward_id, date, 'night', true, 'Timer bench', token_id, at FROM t_brief;
    INSERT INTO items (id, organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
      consequence, likelihood, risk_score, risk_band, status, needs_change, clinical_position_at, created_at)
    SELECT t.item_id, t.org_id, t.ward_id, b.id, b.date, t.position, 'risk', 'equipment',
           'Resuscitation trolley check missed twice this week', 5, 4, 20, 'extreme', 'open', true, b.at, b.at
    FROM t_timer t JOIN t_brief b ON b.ward_id = t.ward_id AND b.day = t.day;
    INSERT INTO escalations (id, organisation_id, ward_id, item_id, trigger, band, chain, state, level, assignee_staff_id,
      due_at, next_step_at, step, created_at)
    SELECT escalation_id, org_id, ward_id, item_id, 'automatic', 'extreme',
           jsonb_build_object('levels', jsonb_build_array(first_id, director_id), 'ackWithinSeconds', ack_s,
                              'repeatEverySeconds', 14400, 'maxRepeats', 3),
           'open', 0, first_id, due_at, due_at, 1, due_at - ack_s * interval '1 second'
    FROM t_timer;
    INSERT INTO escalation_assignees (escalation_id, staff_id, first_assigned_at)
    SELECT escalation_id, first_id, due_at - ack_s * interval '1 second' FROM t_timer;
    INSERT INTO escalation_events (escalation_id, type, step, actor_token_id, level, assignee_staff_id, details, created_at)
    SELECT escalation_id, 'started', 1, token_id, 0, first_id,
           jsonb_build_object('trigger', 'automatic', 'band', 'extreme',
                              'dueAt', to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
           due_at - ack_s * interval '1 second'
    FROM t_timer;
    INSERT INTO notifications (organisation_id, recipient_staff_id, escalation_id, type, step, level, due_at, created_at)
    SELECT org_id, first_id, escalation_id, 'assigned', 1, 0, due_at, due_at - ack_s * interval '1 second' FROM t_timer;
    INSERT INTO outbox (queue, job_name, job_id, payload, run_at)
    SELECT 'escalation-steps', 'escalation-step', '${jobPrefix}' || escalation_id || '${jobSuffix}',
           jsonb_build_object('escalationId', escalation_id, 'step', 1), due_at
    FROM t_timer ORDER BY due_at;`);
  await client.query('COMMIT');
  return (
    await client.query<{ first: Date; last: Date }>(`SELECT min(due_at) AS first, max(due_at) AS last FROM t_timer`)
  ).rows[0]!;
}

/** Waits until every timer has climbed (or five minutes after the last deadline); how many did. */
async function waitFired(client: pg.Client, workers: ChildHandle[], count: number, last: Date) {
  const climbed = async () =>
    Number(
      (
        await client.query(
          `SELECT count(*) FROM escalation_events WHERE type = 'climbed' AND escalation_id IN (SELECT escalation_id FROM t_timer)`,
        )
      ).rows[0]!.count,
    );
  const giveUp = last.getTime() + 300_000;
  for (;;) {
    const fired = await climbed();
    if (fired >= count || Date.now() >= giveUp) return fired;
    const dead = workers.find((w) => !w.isRunning());
    if (dead) throw new Error(`worker exited:\n${dead.stderr().slice(-3000)}`);
    await sleep(1_000);
  }
}

/** Each climb's lag after its deadline, and the counts that show duplicates. */
async function firedFigures(client: pg.Client) {
  const lags = await client.query<{ lag_ms: number; at: Date }>(
    `SELECT extract(epoch FROM e.created_at - t.due_at) * 1000 AS lag_ms, e.created_at AS at
     FROM escalation_events e JOIN t_timer t ON t.escalation_id = e.escalation_id WHERE e.type = 'climbed'`,
  );
  const checks = (
    await client.query(`
      SELECT (SELECT count(*) FROM escalation_events e JOIN t_timer t USING (escalation_id) WHERE e.type = 'climbed') AS climbed,
             (SELECT count(DISTINCT e.escalation_id) FROM escalation_events e JOIN t_timer t USING (escalation_id) WHERE e.type = 'climbed') AS distinct_escalations,
             (SELECT count(*) FROM audit_events a JOIN t_timer t ON a.entity_id = t.escalation_id::text
               WHERE a.entity_type = 'escalation' AND a.action = 'climbed') AS audit_climbed,
             (SELECT count(*) FROM notifications n JOIN t_timer t USING (escalation_id) WHERE n.step = 2) AS step2`)
  ).rows[0]!;
  const duplicates = {
    climbedEvents: Number(checks.climbed),
    distinctEscalations: Number(checks.distinct_escalations),
    auditClimbed: Number(checks.audit_climbed),
    step2Notifications: Number(checks.step2),
  };
  return { lags: lags.rows, duplicates };
}

/** One step run alone, with the workers stopped, so nothing else waits for the same lock. */
async function oneStepAlone(ctx: BenchContext, client: pg.Client) {
  const sample = (
    await client.query<{ id: string; due_at: Date }>(
      `SELECT e.id, e.due_at FROM escalations e JOIN t_timer t ON t.escalation_id = e.id WHERE e.step = 2 LIMIT 1`,
    )
  ).rows[0];
  if (!sample) return { statements: 0, ms: 0, auditLockHeldMs: 0 };
  return recordOneStep(ctx.databaseUrl, sample.id, sample.due_at);
}

type Fired = Awaited<ReturnType<typeof firedFigures>>;

function timerResult(
  run: { count: number; workerProcesses: number; fired: number; window: { first: Date; last: Date } },
  { lags, duplicates }: Fired,
  oneStep: TimerResult['oneStep'],
): TimerResult {
  const times = lags.map((r) => r.at.getTime()).sort((a, b) => a - b);
  const perSecond = new Map<number, number>();
  for (const at of times) perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
  const spanSeconds = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : NaN;
  return {
    escalations: run.count,
    workerProcesses: run.workerProcesses,
    workerConcurrency: 10,
    windowSeconds: WINDOW_SECONDS,
    fired: run.fired,
    lagMs: summarise(lags.map((r) => Number(r.lag_ms))),
    duplicates,
    stepsPerSecond: Math.round((times.length / spanSeconds) * 10) / 10,
    peakStepsPerSecond: Math.max(0, ...perSecond.values()),
    firstFiredAfterWindowStartMs: times.length ? times[0]! - run.window.first.getTime() : NaN,
    drainedSecondsAfterLastDeadline: times.length
      ? Math.round((times[times.length - 1]! - run.window.last.getTime()) / 100) / 10
      : NaN,
    oneStep,
  };
}

export async function runTimers(ctx: BenchContext, count = 10_000, workerProcesses = 2): Promise<TimerResult> {
  const queue = new Queue('escalation-steps', {
    connection: redisOptions(ctx.target.redisUrl, 'producer') as ConnectionOptions,
    prefix: ctx.target.queuePrefix,
  });
  const workers: ChildHandle[] = [];
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    await startWorkers(ctx, queue, workers, workerProcesses);
    const window = await writeTimers(ctx, client, count);
    ctx.log(`  timers: ${count} escalations due ${window.first.toISOString()} .. ${window.last.toISOString()}`);
    const fired = await waitFired(client, workers, count, window.last);
    const figures = await firedFigures(client);
    await Promise.all(workers.map((w) => stopChild(w)));
    const oneStep = await oneStepAlone(ctx, client);
    const result = timerResult({ count, workerProcesses, fired, window }, figures, oneStep);
    ctx.log(
      `  timers: fired ${fired}/${count}, lag p50 ${result.lagMs.p50} p99 ${result.lagMs.p99} max ${result.lagMs.max} ms, ` +
        `${result.stepsPerSecond} steps/s (peak ${result.peakStepsPerSecond}/s); one step alone: ${oneStep.statements} statements, ` +
        `${oneStep.ms} ms, audit lock held ${oneStep.auditLockHeldMs} ms`,
    );
    return result;
  } finally {
    await Promise.all(workers.map((w) => stopChild(w)));
    await queue.close();
    await client.end();
  }
}
