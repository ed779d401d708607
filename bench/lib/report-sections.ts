/** The scenario sections of the generated block of docs/performance.md. */
import type { CaptureResult } from '../scenarios/capture.js';
import type { ServerFigures } from '../scenarios/capture-compare.js';
import type { InboxResult } from '../scenarios/inbox.js';
import type { PackResult } from '../scenarios/pack.js';
import type { PlanResult } from '../scenarios/plans.js';
import type { TimerResult } from '../scenarios/timers.js';
import { table } from './report.js';

const figuresRow = (name: string, c: number, f: ServerFigures, ratios: string[]) => [
  `${name}, ${c} connections`,
  f.throughput,
  `${f.p50} / ${f.p99}`,
  f.cpuMsPerRequest,
  f.databaseCpuMsPerRequest,
  f.rowsInsertedPerRequest,
  ...ratios,
];

function comparisonTable(cap: CaptureResult) {
  const rows = cap.comparisons.flatMap((c) => [
    figuresRow('service', c.connections, c.service, [
      `${c.throughputRatio}x`,
      `${c.throughputRatioEqualWork}x`,
      `${c.p99Ratio}x`,
    ]),
    ...(c.reference ? [figuresRow('reference build', c.connections, c.reference, ['', '', ''])] : []),
    figuresRow('equal-work baseline', c.connections, c.equalWork, ['', '', '']),
    figuresRow('bare baseline', c.connections, c.bare, ['', '', '']),
  ]);
  return table(
    [
      'server',
      'req/s',
      'p50 / p99 ms',
      'server CPU ms per request',
      'database CPU ms per request',
      'rows inserted per request',
      'throughput vs bare',
      'vs equal-work',
      'p99 vs bare',
    ],
    rows,
  );
}

function runsTable(cap: CaptureResult) {
  return table(
    [
      'run',
      'req/s',
      'p50 / p90 / p99 / max ms',
      'non-2xx',
      'errors',
      'server CPU ms per request',
      'database CPU ms per request',
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
      x.serverCpuMsPerRequest,
      x.databaseCpuMsPerRequest,
      `${x.machineBusyPercent}%`,
      x.transactionsPerRequest,
      x.rowsInsertedPerRequest,
      x.auditSealing ? `${x.auditSealing.pendingAtEnd} / ${x.auditSealing.sealedAfterMs ?? 'over 60 000'} ms` : '',
    ]),
  );
}

export function captureSection(cap: CaptureResult): string[] {
  const census = cap.census;
  return [
    '',
    `#### Capture: POST /v1/briefings with ${cap.itemsPerRequest} items (${cap.seconds} s per run, ${cap.rounds} round(s), medians of rounds)`,
    '',
    'The bare baseline writes the briefing and its items; the equal-work baseline writes every row the service writes, ' +
      'in one statement; neither authenticates, validates, screens, detects repeats or keeps Idempotency-Keys.' +
      (cap.reference ? ` The reference build is ${cap.reference}.` : ''),
    '',
    comparisonTable(cap),
    '',
    runsTable(cap),
    '',
    `One request recorded in-process (no HTTP, no load; ${census.escalationsStarted} of its items escalated): ` +
      `${census.statements} SQL statements (` +
      (census.inTransaction
        ? `${census.inTransaction} inside an explicit transaction`
        : 'its writes all in one statement') +
      `; with an Idempotency-Key, plus 4: begin, the key's claim, its answer and commit, one transaction), ${census.totalMs} ms; ` +
      `it holds the trust's audit lock ${census.auditLockHeldMs} ms (its audit events are sealed into the chain in the background).`,
    '',
    table(
      ['statements by purpose', 'count', 'ms'],
      Object.entries(census.byKind).map(([k, v]) => [k, v.count, v.ms]),
    ),
  ];
}

export function inboxSection(inbox: InboxResult[]): string[] {
  return [
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
        'all statements p95 ms',
        'ratio p95 to them',
      ],
      inbox.map((i) => [
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
  ];
}

export function packSection(p: PackResult): string[] {
  if (!p.measured) return ['', `#### Board pack`, '', p.reason];
  return [
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
  ];
}

export function timerSection(t: TimerResult): string[] {
  return [
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
  ];
}

export function planSection(plans: PlanResult[]): string[] {
  const out = [
    '',
    '#### Query plans (EXPLAIN (ANALYZE, BUFFERS), warm cache)',
    '',
    table(
      ['query', 'hot path', 'execution ms', 'seq scan of items/escalations'],
      plans.map((p) => [
        p.name,
        p.hotPath,
        p.executionMs ?? '',
        p.seqScans.length ? `**${p.seqScans.join('; ')}**` : 'none',
      ]),
    ),
  ];
  for (const p of plans) {
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
  return out;
}
