/** The suite's goals (issue figures), each checked against a run's results. */
import type { Goal, Results } from './report.js';

type Partial_ = Omit<Results, 'goals'>;
type Add = (goal: string, measured: string | null, met: boolean | null) => void;

export const ok = <T extends object>(value: T | { error: string } | undefined): value is T =>
  value !== undefined && !('error' in value);

export const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The connections the capture goals are judged at (medians of the side-by-side rounds). */
export const GOAL_CONNECTIONS = 50;

function captureGoals(r: Partial_, add: Add) {
  if (!ok(r.capture)) {
    add('Capture: against the baselines', r.capture ? `failed: ${r.capture.error}` : null, null);
    return;
  }
  const c = r.capture.comparisons.find((x) => x.connections === GOAL_CONNECTIONS);
  if (c) {
    const at = `Capture, ${c.connections} connections`;
    add(
      `${at}: server CPU per briefing at most 0.9 ms`,
      `${c.service.cpuMsPerRequest} ms`,
      c.service.cpuMsPerRequest <= 0.9,
    );
    add(
      `${at}: throughput at least 0.6x the equal-work baseline's`,
      `${c.service.throughput} vs ${c.equalWork.throughput} req/s = ${c.throughputRatioEqualWork}x`,
      c.throughputRatioEqualWork >= 0.6,
    );
    add(
      `${at}: throughput at least 0.35x the bare baseline's`,
      `${c.service.throughput} vs ${c.bare.throughput} req/s = ${c.throughputRatio}x`,
      c.throughputRatio >= 0.35,
    );
    // No answer inside a run leaves autocannon's p99 at 0: that is no latency at all, not a fast one.
    add(
      `${at}: p99 at most 2.5x the bare baseline's`,
      c.service.throughput > 0
        ? `${c.service.p99} vs ${c.bare.p99} ms = ${c.p99Ratio}x`
        : 'no request completed inside a run',
      c.service.throughput > 0 ? c.p99Ratio <= 2.5 : false,
    );
    if (c.reference && c.throughputRatioReference !== undefined) {
      add(
        `${at}: no slower than the reference build (${r.capture.reference ?? 'reference'})`,
        `${c.service.throughput} vs ${c.reference.throughput} req/s = ${c.throughputRatioReference}x; ` +
          `CPU ${c.service.cpuMsPerRequest} vs ${c.reference.cpuMsPerRequest} ms a request`,
        c.throughputRatioReference >= 1 || c.service.cpuMsPerRequest <= c.reference.cpuMsPerRequest,
      );
    }
  }
  const failed = r.capture.runs.filter((run) => run.server === 'service' && (run.non2xx > 0 || run.errors > 0));
  add(
    'Capture: every request answered 201',
    failed.length ? `${failed.length} run(s) with errors` : 'all 201',
    failed.length === 0,
  );
}

function memoryGoal(r: Partial_, add: Add) {
  const goal = 'Memory: API RSS under load (capture) below 200 MB';
  const captureRss = Object.entries(r.rss).filter(([phase]) => phase.startsWith('capture service'));
  if (!captureRss.length) return add(goal, null, null);
  const max = Math.max(...captureRss.map(([, s]) => s.maxMb));
  add(goal, `peak ${max} MB`, max < 200);
}

function inboxGoals(r: Partial_, add: Add) {
  if (!ok(r.inbox)) return add('Inbox: p95 and ratio to SQL', r.inbox ? `failed: ${r.inbox.error}` : null, null);
  const worst = r.inbox[0]!;
  add(`Inbox (${r.scale.name}, ${worst.who}): p95 under 15 ms`, `p95 ${worst.http.p95} ms`, worst.http.p95 < 15);
  add(
    `Inbox (${r.scale.name}, ${worst.who}): at most 2x its SELECT at p95`,
    `p95 ${worst.http.p95} vs ${worst.sql.p95} ms = ${worst.ratioP95}x`,
    worst.ratioP95 <= 2,
  );
}

function packGoals(r: Partial_, add: Add) {
  if (!ok(r.pack)) return add('Board pack', r.pack ? `failed: ${r.pack.error}` : null, null);
  if (!r.pack.measured) return add('Board pack', r.pack.reason, null);
  add(
    'Board pack: one year of the trust under 2 s in every format (slowest request)',
    `${r.pack.worstMs} ms`,
    r.pack.worstMs < 2000,
  );
  add(
    'Board pack: within 2x of the raw SQL it needs (medians, slowest format)',
    `${r.pack.ratioMedian}x (raw SQL p50 ${r.pack.rawSql.p50} ms)`,
    r.pack.ratioMedian <= 2,
  );
}

function timerGoals(r: Partial_, add: Add) {
  if (!ok(r.timers)) return add('Timers', r.timers ? `failed: ${r.timers.error}` : null, null);
  const t = r.timers;
  add(`Timers: every one of ${t.escalations} steps fires`, `${t.fired} fired`, t.fired === t.escalations);
  add(
    'Timers: p99 lag after the deadline under 2 s',
    `p99 ${t.lagMs.p99} ms (max ${t.lagMs.max} ms)`,
    t.lagMs.p99 < 2000,
  );
  const d = t.duplicates;
  const clean =
    d.climbedEvents === d.distinctEscalations &&
    d.auditClimbed === d.climbedEvents &&
    d.step2Notifications === d.climbedEvents;
  add(
    'Timers: no duplicates',
    `${d.climbedEvents} climbed events, ${d.distinctEscalations} escalations, ${d.auditClimbed} audit events, ${d.step2Notifications} notifications`,
    clean,
  );
}

/** Statement names in bench/scenarios/plans.ts whose goal the issue set. */
export const WHOLE_TRUST_PERSISTENT = 'persistent issues (whole trust)';

function planGoals(r: Partial_, add: Add) {
  if (!ok(r.plans)) return;
  const flagged = r.plans.filter((p) => p.seqScans.length > 0);
  add(
    'Query plans: no sequential scan of items or escalations on a hot path',
    flagged.length ? `seq scan in: ${flagged.map((p) => p.name).join(', ')}` : 'none',
    flagged.length === 0,
  );
  const persistent = r.plans.find((p) => p.name === WHOLE_TRUST_PERSISTENT);
  if (persistent?.executionMs != null) {
    add(
      `Persistent issues for a whole trust (${r.scale.name}): at most 20 ms (the goal is set at region scale)`,
      `${persistent.executionMs} ms`,
      persistent.executionMs <= 20,
    );
  }
}

export function evaluateGoals(r: Partial_): Goal[] {
  const goals: Goal[] = [];
  const add: Add = (goal, measured, met) =>
    goals.push({
      goal,
      measured: measured ?? 'not measured',
      status: met === null ? 'not measured' : met ? 'met' : 'not met',
    });
  captureGoals(r, add);
  memoryGoal(r, add);
  inboxGoals(r, add);
  packGoals(r, add);
  timerGoals(r, add);
  planGoals(r, add);
  return goals;
}
