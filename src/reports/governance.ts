/**
 * The governance board pack: one read of the database (a fixed number of grouped statements,
 * whatever the number of wards or items), shaped by the pure functions below.
 */
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database, Executor } from '../db/client.js';
import { tuningOf, type Tuning } from '../deps.js';
import { countWorkingDays, daysBetween } from '../domain/calendar.js';
import { OUTCOMES, type Stance } from '../domain/escalation.js';
import { isPersistent, persistenceRank } from '../domain/persistence.js';
import { RISK_BANDS } from '../domain/risk.js';
import { wilsonInterval } from '../domain/statistics.js';
import { ITEM_CATEGORIES, ITEM_KINDS, type ItemCategory, type ItemKind } from '../domain/taxonomy.js';
import { analyseAlignment } from './alignment.js';
import { resolutionCells } from './alignment-queries.js';
import {
  ATTENDANCE_GROUPS,
  briefingFidelity,
  escalationFacts,
  itemCounts,
  notHeldReasons,
  openThreads,
  overdueNow,
  priorityProgress,
  threadDetails,
  type EscalationFactRow,
  type FidelityCounts,
  type FidelityRow,
  type PriorityRow,
  type ThreadDetailRow,
} from './governance-queries.js';
import type { GovernancePack } from './schemas.js';
import {
  presentPeriod,
  presentScope,
  reportPeriod,
  resolveScope,
  type ReportPeriod,
  type ReportScope,
  type WardRef,
} from './scope.js';
import { ackPoints, buildSpcChart, chartWeeks, spcChart } from './spc.js';
import { readSnapshot } from '../db/sql.js';
import type { OpenThreadRow } from './sql.js';
import { screenedText } from './text.js';
import { topN } from './top.js';

export const PERSISTENT_ISSUES_SHOWN = 10;
const BANDS_AND_UNGRADED = [...RISK_BANDS, 'ungraded'] as const;

export interface GovernanceRequest {
  from: string;
  to: string;
  wardId?: string | undefined;
  division?: string | undefined;
  ackTarget?: number | undefined;
  resolutionDaysTarget?: number | undefined;
}

export async function governancePack(
  deps: { db: Database; tuning?: Tuning | undefined },
  principal: TenantPrincipal,
  request: GovernanceRequest,
  now = new Date(),
): Promise<GovernancePack> {
  return readSnapshot(deps.db, (db) => buildPack({ db, tuning: deps.tuning }, principal, request, now));
}

async function buildPack(
  deps: { db: Executor; tuning?: Tuning | undefined },
  principal: TenantPrincipal,
  request: GovernanceRequest,
  now: Date,
): Promise<GovernancePack> {
  const { db } = deps;
  const scope = await resolveScope(db, principal, request);
  const period = reportPeriod(request.from, request.to, now);
  const tuning = tuningOf(deps);

  // One after another: they share one snapshot transaction, whose connection runs one query at a time.
  const fidelityRows = await briefingFidelity(db, scope, period);
  const reasonRows = await notHeldReasons(db, scope, period);
  const itemRows = await itemCounts(db, scope, period);
  const escalationRows = await escalationFacts(db, scope, period);
  const overdueRows = await overdueNow(db, scope, period);
  const cells = await resolutionCells(db, scope, period);
  const threads = await openThreads(db, scope, period);
  const priorityRows = await priorityProgress(db, scope, period);
  const spc = [
    await buildSpcChart(db, scope, period, 'items_raised'),
    await buildSpcChart(db, scope, period, 'days_to_resolution', request.resolutionDaysTarget),
  ] as const;

  const top = topPersistent(threads, tuning);
  const details = top.length > 0 ? await threadDetails(db, scope, period, top.map((t) => t.thread_id)) : [];
  const alignment = analyseAlignment(cells);
  const escalations = escalationSection(escalationRows, overdueRows);
  const strip = <T extends { key: string; curve: unknown }>({ key: _key, curve: _curve, ...rest }: T) => rest;

  return {
    scope: presentScope(scope),
    period: presentPeriod(period),
    fidelity: fidelitySection(scope, period, fidelityRows, reasonRows, itemRows),
    items: itemsSection(scope, itemRows),
    escalations: escalations.section,
    alignment: {
      items: alignment.items,
      byAlignment: alignment.byAlignment.map((g) => ({ state: g.key, ...strip(g) })),
      byRiskBand: alignment.byRiskBand.map((g) => ({ band: g.key, ...strip(g) })),
      alignedForChange: alignment.alignedForChange,
      highRisk: alignment.highRisk,
    },
    persistentIssues: persistentSection(scope, top, details),
    priorities: prioritySection(scope, priorityRows),
    spc: {
      itemsRaised: spc[0],
      // From the escalation pass above (grouped by week opened), not a second pass over the events.
      ackWithinDeadline: spcChart(
        'ack_within_deadline',
        ackPoints(chartWeeks(period).weeks, escalations.weeks),
        request.ackTarget,
      ),
      daysToResolution: spc[1],
    },
  };
}

// ---------------------------------------------------------------------------
// Briefing fidelity

type Fidelity = GovernancePack['fidelity']['overall'];

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? null : numerator / denominator);

function fidelityOf(
  workingDays: number,
  row: FidelityCounts | undefined,
  reasons: Map<string, number>,
  itemsRaised: number,
): Fidelity {
  const get = (key: keyof FidelityCounts) => Number(row?.[key] ?? 0);
  const heldWorkingDays = get('held_working_days');
  const briefingsHeld = get('held');
  return {
    workingDays,
    heldWorkingDays,
    heldShare: ratio(heldWorkingDays, workingDays),
    workingDaysWithoutRecord: Math.max(0, workingDays - get('recorded_working_days')),
    briefingsHeld,
    briefingsNotHeld: get('not_held'),
    notHeldReasons: [...reasons.entries()]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    attendance: ATTENDANCE_GROUPS.map((group) => {
      const total = get(`${group}_total`);
      const recorded = get(`${group}_recorded`);
      return {
        group,
        total,
        briefingsRecorded: recorded,
        meanPerBriefing: ratio(total, recorded),
        briefingsPresent: get(`${group}_present`),
      };
    }),
    itemsRaised,
    itemsPerBriefing: ratio(itemsRaised, briefingsHeld),
  };
}

export function fidelitySection(
  scope: ReportScope,
  period: ReportPeriod,
  rows: FidelityRow[],
  reasonRows: { ward_id: string; reason: string | null; count: number }[],
  itemRows: { ward_id: string; current: boolean; count: number }[],
): GovernancePack['fidelity'] {
  const workingDays = daysBetween(period.from, period.asOfDate) >= 0 ? countWorkingDays(period.from, period.asOfDate) : 0;
  const reasonsOf = (wardId: string | null) => {
    const map = new Map<string, number>();
    for (const r of reasonRows) {
      if (wardId !== null && r.ward_id !== wardId) continue;
      const reason = screenedText(r.reason ?? 'No reason recorded');
      map.set(reason, (map.get(reason) ?? 0) + r.count);
    }
    return map;
  };
  const itemsOf = (wardId: string | null) =>
    itemRows.filter((r) => r.current && (wardId === null || r.ward_id === wardId)).reduce((sum, r) => sum + r.count, 0);
  const wards = scope.wards.map((ward) => ({
    ward,
    ...fidelityOf(workingDays, rows.find((r) => r.ward_id === ward.id), reasonsOf(ward.id), itemsOf(ward.id)),
  }));
  // Overall: the wards' figures added up (working days become ward-days).
  const summed: Record<string, number> = {};
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key !== 'ward_id') summed[key] = (summed[key] ?? 0) + Number(value);
    }
  }
  return {
    overall: fidelityOf(
      workingDays * scope.wards.length,
      summed as unknown as FidelityCounts,
      reasonsOf(null),
      itemsOf(null),
    ),
    wards,
  };
}

// ---------------------------------------------------------------------------
// Items raised

type ItemCountRow = { ward_id: string; current: boolean; kind: string; category: string; band: string; count: number };

function breakdownOf(rows: ItemCountRow[]): Omit<GovernancePack['items']['overall'], never> {
  const compare = (match: (r: ItemCountRow) => boolean) => {
    let current = 0;
    let previous = 0;
    for (const r of rows) {
      if (!match(r)) continue;
      if (r.current) current += r.count;
      else previous += r.count;
    }
    return { current, previous, change: current - previous };
  };
  return {
    total: compare(() => true),
    byKind: ITEM_KINDS.map((key) => ({ key, ...compare((r) => r.kind === key) })),
    byCategory: ITEM_CATEGORIES.map((key) => ({ key, ...compare((r) => r.category === key) })),
    byBand: BANDS_AND_UNGRADED.map((key) => ({ key, ...compare((r) => r.band === key) })),
  };
}

export function itemsSection(scope: ReportScope, rows: ItemCountRow[]): GovernancePack['items'] {
  return {
    overall: breakdownOf(rows),
    wards: scope.wards.map((ward) => ({ ward, ...breakdownOf(rows.filter((r) => r.ward_id === ward.id)) })),
  };
}

// ---------------------------------------------------------------------------
// Escalations

type EscalationStats = GovernancePack['escalations']['overall'];

/**
 * The median as domain/statistics.ts defines it (the mean of the two middle values for an even
 * count; null when empty), sorting a Float64Array: numeric and much faster than a comparator sort
 * on the tens of thousands of escalations of a year.
 */
export function medianOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
type AckClass = EscalationFactRow['ack_class'];

/** Counts and the values medians are taken of, for one group of escalations. */
class EscalationTally {
  opened = 0;
  ack: Record<AckClass, number> = { within: 0, late: 0, missed: 0, pending: 0, closed_unacknowledged: 0 };
  outcomes = new Map<string, number>();
  hoursToAck: number[] = [];
  daysToResolve: number[] = [];

  add(row: EscalationFactRow) {
    this.opened += 1;
    this.ack[row.ack_class] += 1;
    this.outcomes.set(row.outcome, (this.outcomes.get(row.outcome) ?? 0) + 1);
    if (row.hours_to_ack !== null) this.hoursToAck.push(Number(row.hours_to_ack));
    if (row.days_to_resolve !== null) this.daysToResolve.push(Number(row.days_to_resolve));
  }

  stats(overdue: number): EscalationStats {
    const within = this.ack.within;
    const interval = wilsonInterval(within, within + this.ack.late + this.ack.missed);
    return {
      opened: this.opened,
      acknowledgedWithinDeadline: within,
      acknowledgedLate: this.ack.late,
      missedDeadline: this.ack.missed,
      pending: this.ack.pending,
      closedWithoutAcknowledgement: this.ack.closed_unacknowledged,
      ackWithinDeadlineShare: interval.rate,
      lower: interval.lower,
      upper: interval.upper,
      medianHoursToAcknowledge: medianOf(this.hoursToAck),
      resolved: this.daysToResolve.length,
      medianDaysToResolve: medianOf(this.daysToResolve),
      overdueNow: overdue,
    };
  }
}

/** Pure: the escalation section, and the weekly acknowledgement counts the SPC chart needs. */
export function escalationSection(
  facts: EscalationFactRow[],
  overdue: { by_band: boolean; by_level: boolean; band: string | null; level: number | null; count: number }[],
): { section: GovernancePack['escalations']; weeks: { week: string; within: number; decided: number }[] } {
  const overall = new EscalationTally();
  const byBand = new Map<string, EscalationTally>();
  const byLevel = new Map<number, EscalationTally>();
  const byWeek = new Map<string, EscalationTally>();
  const tally = <K>(map: Map<K, EscalationTally>, key: K) => {
    let t = map.get(key);
    if (!t) map.set(key, (t = new EscalationTally()));
    return t;
  };
  for (const row of facts) {
    overall.add(row);
    tally(byBand, row.band).add(row);
    tally(byLevel, Number(row.level_reached)).add(row);
    tally(byWeek, row.week).add(row);
  }
  const overdueOf = (match: (r: (typeof overdue)[number]) => boolean) => overdue.find(match)?.count ?? 0;
  const levels = [
    ...new Set([...byLevel.keys(), ...overdue.filter((r) => r.by_level).map((r) => Number(r.level))]),
  ].sort((a, b) => a - b);
  return {
    section: {
      overall: overall.stats(overdueOf((r) => !r.by_band && !r.by_level)),
      byBand: RISK_BANDS.map((band) => ({
        band,
        ...(byBand.get(band) ?? new EscalationTally()).stats(overdueOf((r) => r.by_band && r.band === band)),
      })),
      byLevel: levels.map((level) => ({
        level,
        ...(byLevel.get(level) ?? new EscalationTally()).stats(overdueOf((r) => r.by_level && Number(r.level) === level)),
      })),
      outcomes: [...OUTCOMES, 'unresolved' as const].map((outcome) => ({ outcome, count: overall.outcomes.get(outcome) ?? 0 })),
    },
    weeks: [...byWeek.entries()].map(([week, t]) => ({
      week,
      within: t.ack.within,
      decided: t.ack.within + t.ack.late + t.ack.missed,
    })),
  };
}

// ---------------------------------------------------------------------------
// Persistent issues and priorities

interface RankedThread extends OpenThreadRow {
  daysOpen: number;
  score: number;
}

interface Candidate {
  row: OpenThreadRow;
  daysOpen: number;
  score: number;
}

const byPersistence = (a: Candidate, b: Candidate) =>
  b.score - a.score ||
  b.row.times_raised - a.row.times_raised ||
  b.daysOpen - a.daysOpen ||
  (a.row.thread_id < b.row.thread_id ? -1 : a.row.thread_id > b.row.thread_id ? 1 : 0);

/** Open threads that are persistent by the service's rule (domain/persistence.ts), most persistent first. */
export function topPersistent(threads: OpenThreadRow[], tuning: Tuning, shown = PERSISTENT_ISSUES_SHOWN): RankedThread[] {
  const thresholds = { minRaised: tuning.persistentMinRaised, minDaysOpen: tuning.persistentMinDays };
  function* persistent(): Generator<Candidate> {
    for (const row of threads) {
      const stats = { riskScore: Number(row.risk_score ?? 0), timesRaised: Number(row.times_raised), daysOpen: Number(row.days_open) };
      if (isPersistent(stats, thresholds)) yield { row, daysOpen: stats.daysOpen, score: persistenceRank(stats) };
    }
  }
  // Only the few shown are copied.
  return topN(persistent(), shown, byPersistence).map(({ row, daysOpen, score }) => ({ ...row, daysOpen, score }));
}

function wardOf(scope: ReportScope, id: string): WardRef {
  return scope.wards.find((w) => w.id === id) ?? { id, code: '', name: '', division: null };
}

export function persistentSection(
  scope: ReportScope,
  top: RankedThread[],
  details: ThreadDetailRow[],
): GovernancePack['persistentIssues'] {
  return top.flatMap((thread, index) => {
    const detail = details.find((d) => d.thread_id === thread.thread_id);
    if (!detail) return [];
    return [
      {
        rank: index + 1,
        threadId: thread.thread_id,
        latestItemId: detail.item_id,
        ward: wardOf(scope, detail.ward_id),
        kind: detail.kind as ItemKind,
        category: detail.category as ItemCategory,
        description: screenedText(detail.description),
        maxRiskScore: thread.risk_score === null ? null : Number(thread.risk_score),
        timesRaised: Number(thread.times_raised),
        raisedInPeriod: Number(thread.raised_in_period),
        firstRaisedOn: thread.first_raised_on,
        lastRaisedOn: thread.last_raised_on,
        daysOpen: thread.daysOpen,
        persistenceScore: thread.score,
        owner: detail.owner_id && detail.owner_name ? { id: detail.owner_id, name: detail.owner_name } : null,
        escalationState: detail.escalation_state,
        latestResponse:
          detail.stance && detail.stance_at_ms !== null
            ? {
                stance: detail.stance as Stance,
                rationale: screenedText(detail.stance_rationale),
                at: new Date(Number(detail.stance_at_ms)).toISOString(),
              }
            : null,
        plannedAction:
          detail.action_description && detail.action_due_date
            ? { description: screenedText(detail.action_description), dueDate: detail.action_due_date }
            : null,
      },
    ];
  });
}

export function prioritySection(scope: ReportScope, rows: PriorityRow[]): GovernancePack['priorities'] {
  return rows.map((r) => ({
    id: r.id,
    title: screenedText(r.title),
    level: r.level as 'organisation' | 'division' | 'ward',
    ward: r.ward_id ? wardOf(scope, r.ward_id) : null,
    division: r.division,
    owner: { id: r.owner_id, name: r.owner_name },
    linkedItems: r.linked,
    resolvedItems: r.resolved,
    openItems: r.linked - r.resolved,
    raisedInPeriod: r.raised_in_period,
    resolutionRate: ratio(r.resolved, r.linked),
  }));
}

