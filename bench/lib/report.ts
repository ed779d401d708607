/** Goals, the results file and the generated block of docs/performance.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CaptureResult } from '../scenarios/capture.js';
import type { InboxResult } from '../scenarios/inbox.js';
import type { PackResult } from '../scenarios/pack.js';
import type { PlanResult } from '../scenarios/plans.js';
import type { TimerResult } from '../scenarios/timers.js';
import type { GeneratedCounts, GeneratedPeriod, Scale } from './generate.js';

export interface Results {
  scale: Scale;
  period: GeneratedPeriod;
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: Record<string, string | number>;
  generation: { counts: GeneratedCounts; seconds: number } | null;
  plans?: PlanResult[] | { error: string };
  inbox?: InboxResult[] | { error: string };
  pack?: PackResult | { error: string };
  timers?: TimerResult | { error: string };
  capture?: CaptureResult | { error: string };
  rss: Record<string, { samples: number; maxMb: number; lastMb: number }>;
  /** 1-minute load average of the machine at the start and end of each scenario (2 cores). */
  load: Record<string, [number, number]>;
  goals: Goal[];
}

export interface Goal {
  goal: string;
  measured: string;
  status: 'met' | 'not met' | 'not measured';
}

const ok = <T extends object>(value: T | { error: string } | undefined): value is T =>
  value !== undefined && !('error' in value);

export function evaluateGoals(r: Omit<Results, 'goals'>): Goal[] {
  const goals: Goal[] = [];
  const add = (goal: string, measured: string | null, met: boolean | null) =>
    goals.push({
      goal,
      measured: measured ?? 'not measured',
      status: met === null ? 'not measured' : met ? 'met' : 'not met',
    });

  if (ok(r.capture)) {
    for (const c of r.capture.comparisons) {
      add(
        `Capture, ${c.connections} connections: throughput at least 60% of the baseline's`,
        `${c.service.throughput} vs ${c.baseline.throughput} req/s = ${pct(c.throughputRatio)}`,
        c.throughputRatio >= 0.6,
      );
      // No answer inside a run leaves autocannon's p99 at 0: that is no latency at all, not a fast one.
      add(
        `Capture, ${c.connections} connections: p99 at most 1.5x the baseline's`,
        c.service.throughput > 0
          ? `${c.service.p99} vs ${c.baseline.p99} ms = ${c.p99Ratio}x`
          : 'no request completed inside a run',
        c.service.throughput > 0 ? c.p99Ratio <= 1.5 : false,
      );
    }
    const failed = r.capture.runs.filter((run) => run.server === 'service' && (run.non2xx > 0 || run.errors > 0));
    add(
      'Capture: every request answered 201',
      failed.length ? `${failed.length} run(s) with errors` : 'all 201',
      failed.length === 0,
    );
  } else {
    add('Capture: throughput and p99 against the baseline', r.capture ? `failed: ${r.capture.error}` : null, null);
  }
  const captureRss = Object.entries(r.rss).filter(([phase]) => phase.startsWith('capture service'));
  if (captureRss.length) {
    const max = Math.max(...captureRss.map(([, s]) => s.maxMb));
    add('Memory: API RSS under load (capture) below 200 MB', `peak ${max} MB`, max < 200);
  } else add('Memory: API RSS under load (capture) below 200 MB', null, null);

  if (ok(r.inbox)) {
    const worst = r.inbox[0]!;
    add(`Inbox (${r.scale.name}, ${worst.who}): p95 under 15 ms`, `p95 ${worst.http.p95} ms`, worst.http.p95 < 15);
    add(
      `Inbox (${r.scale.name}, ${worst.who}): within 2x of the same query in SQL`,
      `p95 ${worst.http.p95} vs ${worst.sql.p95} ms = ${worst.ratioP95}x`,
      worst.ratioP95 <= 2,
    );
  } else add('Inbox: p95 and ratio to SQL', r.inbox ? `failed: ${r.inbox.error}` : null, null);

  if (ok(r.pack) && r.pack.measured) {
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
  } else if (ok(r.pack)) add('Board pack', r.pack.reason, null);
  else add('Board pack', r.pack ? `failed: ${r.pack.error}` : null, null);

  if (ok(r.timers)) {
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
  } else add('Timers', r.timers ? `failed: ${r.timers.error}` : null, null);

  if (ok(r.plans)) {
    const flagged = r.plans.filter((p) => p.seqScans.length > 0);
    add(
      'Query plans: no sequential scan of items or escalations on a hot path',
      flagged.length ? `seq scan in: ${flagged.map((p) => p.name).join(', ')}` : 'none',
      flagged.length === 0,
    );
  }
  return goals;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

function table(head: string[], rows: (string | number)[][]) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function markdown(r: Results, resultsFile: string): string {
  const out: string[] = [];
  out.push(
    `Run of ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, scale \`${r.scale.name}\` ` +
      `(${r.scale.trusts} trust(s) x ${r.scale.wardsPerTrust} wards x ${r.scale.days} days, ${r.period.from} to ${r.period.to}), ` +
      `${Math.round(r.totalSeconds)} s end to end. Machine: ${r.machine.cpus} cores, Node ${r.machine.node}, ` +
      `PostgreSQL ${r.machine.postgres} (shared_buffers ${r.machine.shared_buffers}), Redis ${r.machine.redis}. ` +
      `Raw figures: \`${resultsFile}\`.`,
  );
  out.push(
    '',
    '#### Goals',
    '',
    table(
      ['goal', 'measured', 'status'],
      r.goals.map((g) => [g.goal, g.measured, `**${g.status}**`]),
    ),
  );
  if (r.generation) {
    const c = r.generation.counts;
    out.push(
      '',
      '#### Generated data',
      '',
      table(
        [
          'organisations',
          'wards',
          'staff',
          'briefings',
          'items',
          'escalations',
          'escalation events',
          'notifications',
          'position changes',
          'database',
          'generated in',
        ],
        [
          [
            c.organisations,
            c.wards,
            c.staff,
            c.briefings,
            c.items,
            c.escalations,
            c.escalationEvents,
            c.notifications,
            c.positionChanges,
            `${Math.round(c.databaseBytes / 1048576)} MB`,
            `${Math.round(r.generation.seconds)} s`,
          ],
        ],
      ),
    );
  }
  if (ok(r.capture)) {
    const cap = r.capture;
    out.push(
      '',
      `#### Capture: POST /v1/briefings with ${cap.itemsPerRequest} items (${cap.seconds} s per run, ${cap.rounds} round(s), medians of rounds)`,
      '',
      table(
        [
          'connections',
          'service req/s',
          'baseline req/s',
          'ratio',
          'service p50 / p99 ms',
          'baseline p50 / p99 ms',
          'p99 ratio',
        ],
        cap.comparisons.map((c) => [
          c.connections,
          c.service.throughput,
          c.baseline.throughput,
          pct(c.throughputRatio),
          `${c.service.p50} / ${c.service.p99}`,
          `${c.baseline.p50} / ${c.baseline.p99}`,
          `${c.p99Ratio}x`,
        ]),
      ),
      '',
      table(
        [
          'run',
          'req/s',
          'p50 / p90 / p99 / max ms',
          'non-2xx',
          'errors',
          'server CPU ms per request',
          'machine busy',
          'transactions per request (reads included)',
          'rows inserted per request',
          'audit events unsealed at the end / all sealed after',
        ],
        cap.runs.map((x) => [
          `${x.server} c=${x.connections} round ${x.round}`,
          x.throughput,
          `${x.latencyMs.p50} / ${x.latencyMs.p90} / ${x.latencyMs.p99} / ${x.latencyMs.max}`,
          x.non2xx,
          x.errors,
          x.serverCpuMsPerRequest ?? '',
          x.machineBusyPercent === undefined ? '' : `${x.machineBusyPercent}%`,
          x.transactionsPerRequest,
          x.rowsInsertedPerRequest,
          x.auditSealing ? `${x.auditSealing.pendingAtEnd} / ${x.auditSealing.sealedAfterMs ?? 'over 60 000'} ms` : '',
        ]),
      ),
      '',
      `One request recorded in-process (no HTTP, no load; ${cap.census.escalationsStarted} of its items escalated): ` +
        `${cap.census.statements} SQL statements (` +
        (cap.census.inTransaction
          ? `${cap.census.inTransaction} inside an explicit transaction`
          : 'its writes all in one statement') +
        `; with an Idempotency-Key, plus 4: begin, the key's claim, its answer and commit, one transaction), ${cap.census.totalMs} ms; it holds the trust's audit lock ` +
        `${cap.census.auditLockHeldMs} ms (its audit events are sealed into the chain in the background).`,
      '',
      table(
        ['statements by purpose', 'count', 'ms'],
        Object.entries(cap.census.byKind).map(([k, v]) => [k, v.count, v.ms]),
      ),
    );
  }
  out.push(
    '',
    `Machine load (1-minute load average, start / end of each scenario; other work shares these ${r.machine.cpus} cores): ` +
      Object.entries(r.load)
        .map(([name, [a, b]]) => `${name} ${a} / ${b}`)
        .join(', ') +
      '.',
  );
  const rssRows = Object.entries(r.rss).map(([phase, s]) => [phase, s.maxMb, s.samples]);
  if (rssRows.length)
    out.push('', '#### API process memory (VmRSS)', '', table(['phase', 'peak MB', 'samples'], rssRows));
  if (ok(r.inbox)) {
    out.push(
      '',
      '#### Inbox: GET /v1/inbox, one request at a time, against the same SELECT sent directly',
      '',
      table(
        [
          'manager',
          'unresolved assigned',
          'requests',
          'HTTP p50 / p95 / p99 ms',
          'SQL p50 / p95 ms',
          'ratio p95',
          'all 3 statements p95 ms',
          'ratio p95 to them',
        ],
        r.inbox.map((i) => [
          i.who,
          i.unresolvedAssigned,
          i.requests,
          `${i.http.p50} / ${i.http.p95} / ${i.http.p99}`,
          `${i.sql.p50} / ${i.sql.p95}`,
          `${i.ratioP95}x`,
          i.sqlAllStatements.p95,
          `${i.ratioP95AllStatements}x`,
        ]),
      ),
    );
  }
  if (ok(r.pack) && r.pack.measured) {
    const p = r.pack;
    out.push(
      '',
      `#### Board pack: GET /v1/reports/governance?from=${p.from}&to=${p.to} (${p.repeats} requests per format)`,
      '',
      table(
        ['format', 'p50 ms', 'max ms', 'bytes'],
        (['json', 'csv', 'html'] as const).map((f) => [f, p.formats[f].p50, p.formats[f].max, p.formats[f].bytes]),
      ),
      '',
      `Raw SQL (the ${p.rawSql.statements} statements governancePack sends, replayed ${p.rawSql.replayedAs}): ` +
        `p50 ${p.rawSql.p50} ms, max ${p.rawSql.max} ms.`,
    );
  } else if (ok(r.pack)) out.push('', `#### Board pack`, '', r.pack.reason);
  if (ok(r.timers)) {
    const t = r.timers;
    out.push(
      '',
      `#### Escalation timers: ${t.escalations} deadlines in one minute, ${t.workerProcesses} worker processes (concurrency ${t.workerConcurrency} each)`,
      '',
      table(
        [
          'fired',
          'lag p50 / p95 / p99 / max ms',
          'steps/s over the run',
          'peak steps/s',
          'last step after last deadline',
        ],
        [
          [
            `${t.fired} / ${t.escalations}`,
            `${t.lagMs.p50} / ${t.lagMs.p95} / ${t.lagMs.p99} / ${t.lagMs.max}`,
            t.stepsPerSecond,
            t.peakStepsPerSecond,
            `${t.drainedSecondsAfterLastDeadline} s`,
          ],
        ],
      ),
      '',
      `One step run alone afterwards (in-process, a reminder: a climb's statements less one): ${t.oneStep.statements} ` +
        `statements, ${t.oneStep.ms} ms, the trust's audit lock held ${t.oneStep.auditLockHeldMs} ms of it.`,
    );
  }
  if (ok(r.plans)) {
    out.push('', '#### Query plans (EXPLAIN (ANALYZE, BUFFERS), warm cache)', '');
    out.push(
      table(
        ['query', 'hot path', 'execution ms', 'seq scan of items/escalations'],
        r.plans.map((p) => [
          p.name,
          p.hotPath,
          p.executionMs ?? '',
          p.seqScans.length ? `**${p.seqScans.join('; ')}**` : 'none',
        ]),
      ),
    );
    for (const p of r.plans)
      out.push(
        '',
        `<details><summary>${p.name}</summary>`,
        '',
        '```sql',
        p.sql,
        '```',
        '',
        '```',
        p.plan,
        '```',
        '</details>',
      );
  }
  for (const [name, value] of Object.entries({
    plans: r.plans,
    inbox: r.inbox,
    pack: r.pack,
    timers: r.timers,
    capture: r.capture,
  })) {
    if (value && 'error' in value) out.push('', `**${name} failed:** ${value.error}`);
  }
  return out.join('\n');
}

/** Replaces the block between this scale's markers in docs/performance.md (appends it if missing). */
export function updateDoc(path: string, scale: string, body: string) {
  const begin = `<!-- bench:${scale}:begin -->`;
  const end = `<!-- bench:${scale}:end -->`;
  const block = `${begin}\n${body}\n${end}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Performance\n';
  const at = current.indexOf(begin);
  const until = current.indexOf(end);
  const next =
    at >= 0 && until > at
      ? current.slice(0, at) + block + current.slice(until + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}

export function writeResults(path: string, results: Results) {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
