/** The results file and the generated block of docs/performance.md (goals: ./goals.ts). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CaptureResult } from '../scenarios/capture.js';
import type { InboxResult } from '../scenarios/inbox.js';
import type { PackResult } from '../scenarios/pack.js';
import type { PlanResult } from '../scenarios/plans.js';
import type { TimerResult } from '../scenarios/timers.js';
import type { GeneratedCounts, GeneratedPeriod, Scale } from './generate.js';
import { ok } from './goals.js';
import { captureSection, inboxSection, packSection, planSection, timerSection } from './report-sections.js';

export { evaluateGoals } from './goals.js';

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

export function table(head: string[], rows: (string | number)[][]) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function heading(r: Results, resultsFile: string) {
  return (
    `Run of ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, scale \`${r.scale.name}\` ` +
    `(${r.scale.trusts} trust(s) x ${r.scale.wardsPerTrust} wards x ${r.scale.days} days, ${r.period.from} to ${r.period.to}), ` +
    `${Math.round(r.totalSeconds)} s end to end. Machine: ${r.machine.cpus} cores, Node ${r.machine.node}, ` +
    `PostgreSQL ${r.machine.postgres} (shared_buffers ${r.machine.shared_buffers}), Redis ${r.machine.redis}. ` +
    `Raw figures: \`${resultsFile}\`.`
  );
}

function generationSection(r: Results): string[] {
  if (!r.generation) return [];
  const c = r.generation.counts;
  const head = ['organisations', 'wards', 'staff', 'briefings', 'items', 'escalations', 'escalation events'];
  const row = [c.organisations, c.wards, c.staff, c.briefings, c.items, c.escalations, c.escalationEvents];
  return [
    '',
    '#### Generated data',
    '',
    table(
      [...head, 'notifications', 'position changes', 'database', 'generated in'],
      [
        [
          ...row,
          c.notifications,
          c.positionChanges,
          `${Math.round(c.databaseBytes / 1048576)} MB`,
          `${Math.round(r.generation.seconds)} s`,
        ],
      ],
    ),
  ];
}

function loadAndMemory(r: Results): string[] {
  const load = Object.entries(r.load)
    .map(([name, [a, b]]) => `${name} ${a} / ${b}`)
    .join(', ');
  const out = [
    '',
    `Machine load (1-minute load average, start / end of each scenario; other work shares these ${r.machine.cpus} cores): ${load}.`,
  ];
  const rssRows = Object.entries(r.rss).map(([phase, s]) => [phase, s.maxMb, s.samples]);
  if (rssRows.length)
    out.push('', '#### API process memory (VmRSS)', '', table(['phase', 'peak MB', 'samples'], rssRows));
  return out;
}

export function markdown(r: Results, resultsFile: string): string {
  const out: string[] = [heading(r, resultsFile)];
  const goals = r.goals.map((g) => [g.goal, g.measured, `**${g.status}**`]);
  out.push('', '#### Goals', '', table(['goal', 'measured', 'status'], goals));
  out.push(...generationSection(r));
  if (ok(r.capture)) out.push(...captureSection(r.capture));
  out.push(...loadAndMemory(r));
  if (ok(r.inbox)) out.push(...inboxSection(r.inbox));
  if (ok(r.pack)) out.push(...packSection(r.pack));
  if (ok(r.timers)) out.push(...timerSection(r.timers));
  if (ok(r.plans)) out.push(...planSection(r.plans));
  const scenarios = { plans: r.plans, inbox: r.inbox, pack: r.pack, timers: r.timers, capture: r.capture };
  for (const [name, value] of Object.entries(scenarios)) {
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
