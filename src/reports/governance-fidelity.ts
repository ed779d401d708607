/** The board pack's briefing fidelity and items raised: pure, from the grouped rows. */
import { countWorkingDays, daysBetween, minDate } from '../domain/calendar.js';
import { RISK_BANDS } from '../domain/risk.js';
import { ITEM_CATEGORIES, ITEM_KINDS } from '../domain/taxonomy.js';
import {
  ATTENDANCE_GROUPS,
  type FidelityCounts,
  type FidelityRow,
  type ItemCountRow,
  type NotHeldReasonRow,
} from './governance-queries.js';
import type { GovernancePack } from './schemas.js';
import type { ReportPeriod, ReportScope, WardRef } from './scope.js';
import { screenedText } from './text.js';

const BANDS_AND_UNGRADED = [...RISK_BANDS, 'ungraded'] as const;

// ---------------------------------------------------------------------------
// Briefing fidelity

type Fidelity = GovernancePack['fidelity']['overall'];

/** numerator / denominator, or null when there is nothing to divide by. */
export const ratio = (numerator: number, denominator: number) => (denominator === 0 ? null : numerator / denominator);

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
  reasonRows: NotHeldReasonRow[],
  itemRows: ItemCountRow[],
): GovernancePack['fidelity'] {
  // A closed ward is expected to brief up to the day it closed, and not after.
  const workingDaysOf = (ward: WardRef) => {
    const last = ward.closedOn === null ? period.asOfDate : minDate(ward.closedOn, period.asOfDate);
    return daysBetween(period.from, last) >= 0 ? countWorkingDays(period.from, last) : 0;
  };
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
    ...fidelityOf(
      workingDaysOf(ward),
      rows.find((r) => r.ward_id === ward.id),
      reasonsOf(ward.id),
      itemsOf(ward.id),
    ),
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
      wards.reduce((sum, ward) => sum + ward.workingDays, 0),
      summed as unknown as FidelityCounts,
      reasonsOf(null),
      itemsOf(null),
    ),
    wards,
  };
}

// ---------------------------------------------------------------------------
// Items raised

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
