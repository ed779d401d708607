/**
 * The fuzz run's size and time budget, and its ledger of every answer (test/security/fuzz.test.ts;
 * not a test file itself).
 */
import { leaks, problemDefect, type SendResult } from '../faults/service-harness.js';
import { contractViolation } from '../helpers/contract.js';
import { label, type Operation } from './route-world.js';

export const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
export const SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);
export const RUNS = {
  bodyPerRoute: Math.round(32 * SCALE),
  rawPerRoute: Math.round(8 * SCALE),
  contentTypePerRoute: Math.round(6 * SCALE),
  queryPerRoute: Math.round(20 * SCALE),
};
/** Heap growth (after a full GC) allowed over the whole run. */
export const HEAP_GROWTH_LIMIT_MB = 48;
/**
 * Wall-clock budget of the four random phases together (on a loaded CI machine a run stops
 * early rather than running long; the figure says how many requests were sent).
 */
export const RANDOM_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 45_000);
/** Fewer requests than this in the random phases would make the run meaningless. */
export const MIN_RANDOM_REQUESTS = 500;
export const budget = { runsLeft: 0, deadline: 0, skipped: 0 };
/** The property running now: when its share of the budget ends, and how many requests it sent. */
export let slot = { deadline: 0, ran: 0 };

/** fast-check options for one property: its seed and runs; sets its share (by runs) of the time left. */
export function budgeted(seed: number, numRuns: number) {
  const left = Math.max(0, budget.deadline - Date.now());
  const share = (left * numRuns) / Math.max(numRuns, budget.runsLeft);
  budget.runsLeft -= numRuns;
  slot = { deadline: Date.now() + share, ran: 0 };
  return { seed, numRuns };
}

/** Whether this run may send its request: always the first of a property, then while its share lasts. */
export function withinBudget() {
  if (slot.ran > 0 && Date.now() > slot.deadline) {
    budget.skipped++;
    return false;
  }
  slot.ran++;
  return true;
}

export interface Violation {
  phase: string;
  route: string;
  problem: string;
  status: number;
  input: string;
  body: string;
}
export const violations: Violation[] = [];
export const tally = {
  sent: 0,
  '2xx': 0,
  '3xx': 0,
  '4xx': 0,
  '5xx': 0,
  noAnswer: 0,
  byPhase: {} as Record<string, number>,
  msByPhase: {} as Record<string, number>,
  slowest: { ms: 0, what: '' },
};

export function record(phase: string, op: Pick<Operation, 'method' | 'path'>, input: string, res: SendResult) {
  tally.sent++;
  tally.byPhase[phase] = (tally.byPhase[phase] ?? 0) + 1;
  tally.msByPhase[phase] = (tally.msByPhase[phase] ?? 0) + res.ms;
  if (res.ms > tally.slowest.ms) tally.slowest = { ms: res.ms, what: `${label(op)} ${input.slice(0, 120)}` };
  const problems: string[] = [];
  if (res.status === 0) {
    tally.noAnswer++;
    problems.push(`no answer (${res.error})`);
  } else {
    const klass = `${Math.floor(res.status / 100)}xx` as '2xx' | '3xx' | '4xx' | '5xx';
    tally[klass]++;
    if (res.status >= 500) problems.push(`${res.status} answer`);
    if (res.status >= 400) {
      const defect = problemDefect(res);
      if (defect) problems.push(`not a problem document: ${defect}`);
    }
    const leaked = leaks(res.body);
    if (leaked.length) problems.push(`gives away ${leaked.join(', ')}`);
    const drift = contractViolation({
      method: op.method,
      url: op.path,
      statusCode: res.status,
      contentType: res.headers['content-type'],
      body: res.body,
    });
    if (drift) problems.push(`not what openapi/openapi.json declares: ${drift}`);
  }
  for (const problem of problems) {
    violations.push({
      phase,
      route: label(op),
      problem,
      status: res.status,
      input: input.slice(0, 600),
      body: res.body.slice(0, 400),
    });
  }
}
