/**
 * The board pack as one tidy table: metric, scope, period, value. Every figure of the JSON
 * pack appears once. `metric` names the measure, `scope` the slice it is measured on
 * (`all` = every ward of the report; otherwise `key:value` pairs joined by `;`), and `period`
 * an ISO 8601 interval (from/to, both days included) or, for figures taken now, an instant
 * (local time in the trust's time zone, with its offset).
 */
import { addDays, localDateTimeIso } from '../domain/calendar.js';
import { csvChunks, type CsvValue } from './csv.js';
import { adjustedCsv } from './render-models.js';
import type { GovernancePack } from './schemas.js';

type Row = [metric: string, scope: string, period: string, value: CsvValue];

export const CSV_HEADER = ['metric', 'scope', 'period', 'value'] as const;

const ALL = 'all';

interface Periods {
  /** The report period, from/to. */
  current: string;
  /** The period of the same length before it. */
  previous: string;
  /** The instant the pack was made, for figures taken now. */
  now: string;
}

type Add = (metric: string, scope: string, period: string, value: CsvValue) => void;

/** Rows added by `write`, in the order it adds them. */
function collect(write: (add: Add) => void): Row[] {
  const out: Row[] = [];
  write((metric, scope, period, value) => out.push([metric, scope, period, value]));
  return out;
}

const ward = (w: { code: string }) => `ward:${w.code}`;
const join = (...parts: string[]) => parts.filter((p) => p !== ALL).join(';') || ALL;

/** The rows of each section in turn, each made only when the one before has been used. */
function* rowGroups(pack: GovernancePack): Generator<Row[]> {
  const periods: Periods = {
    current: `${pack.period.from}/${pack.period.to}`,
    previous: `${pack.period.previous.from}/${pack.period.previous.to}`,
    // People read these files in the trust's own clock: ISO 8601 local time with its offset.
    now: localDateTimeIso(new Date(pack.period.generatedAt), pack.period.timeZone),
  };
  for (const section of [
    sourceRows,
    fidelityRows,
    itemRows,
    escalationRows,
    alignmentRows,
    persistentIssueRows,
    priorityRows,
    spcRows,
  ]) {
    yield section(pack, periods);
  }
}

export function packRows(pack: GovernancePack): Row[] {
  return [...rowGroups(pack)].flat();
}

/** When the figures are as at, where they were read (the primary or its replica), and how far behind the primary. */
function sourceRows(pack: GovernancePack, { current, now }: Periods): Row[] {
  return [
    ['figures_as_at', ALL, current, localDateTimeIso(new Date(pack.period.asOf), pack.period.timeZone)],
    ['read_from', ALL, now, pack.period.readFrom],
    ['replication_lag_seconds', ALL, now, pack.period.replicationLagSeconds],
  ];
}

function fidelityRows(pack: GovernancePack, { current }: Periods): Row[] {
  return collect((add) => {
    const fidelity = (scope: string, f: GovernancePack['fidelity']['overall']) => {
      add('working_days', scope, current, f.workingDays);
      add('working_days_briefing_held', scope, current, f.heldWorkingDays);
      add('briefing_held_share', scope, current, f.heldShare);
      add('working_days_without_record', scope, current, f.workingDaysWithoutRecord);
      add('briefings_held', scope, current, f.briefingsHeld);
      add('briefings_not_held', scope, current, f.briefingsNotHeld);
      f.notHeldReasons.forEach((r, i) => {
        add('not_held_reason', join(scope, `reason:${i + 1}`), current, r.reason);
        add('not_held_reason_count', join(scope, `reason:${i + 1}`), current, r.count);
      });
      for (const a of f.attendance) {
        const s = join(scope, `staff_group:${a.group}`);
        add('attendance_total', s, current, a.total);
        add('attendance_briefings_recorded', s, current, a.briefingsRecorded);
        add('attendance_mean_per_briefing', s, current, a.meanPerBriefing);
        add('attendance_briefings_present', s, current, a.briefingsPresent);
      }
      add('items_raised_at_briefings', scope, current, f.itemsRaised);
      add('items_per_briefing', scope, current, f.itemsPerBriefing);
    };
    fidelity(ALL, pack.fidelity.overall);
    for (const w of pack.fidelity.wards) fidelity(ward(w.ward), w);
  });
}

/** Items raised, against the previous period. */
function itemRows(pack: GovernancePack, { current, previous }: Periods): Row[] {
  return collect((add) => {
    const items = (scope: string, b: GovernancePack['items']['overall']) => {
      const compare = (s: string, c: { current: number; previous: number; change: number }) => {
        add('items_raised', s, current, c.current);
        add('items_raised', s, previous, c.previous);
        add('items_raised_change', s, current, c.change);
      };
      compare(scope, b.total);
      for (const k of b.byKind) compare(join(scope, `kind:${k.key}`), k);
      for (const k of b.byCategory) compare(join(scope, `category:${k.key}`), k);
      for (const k of b.byBand) compare(join(scope, `band:${k.key}`), k);
    };
    items(ALL, pack.items.overall);
    for (const w of pack.items.wards) items(ward(w.ward), w);
  });
}

function escalationRows(pack: GovernancePack, { current, now }: Periods): Row[] {
  return collect((add) => {
    const escalations = (scope: string, e: GovernancePack['escalations']['overall']) => {
      add('escalations_opened', scope, current, e.opened);
      add('escalations_acknowledged_within_deadline', scope, current, e.acknowledgedWithinDeadline);
      add('escalations_acknowledged_late', scope, current, e.acknowledgedLate);
      add('escalations_missed_deadline', scope, current, e.missedDeadline);
      add('escalations_pending', scope, current, e.pending);
      add('escalations_closed_without_acknowledgement', scope, current, e.closedWithoutAcknowledgement);
      add('ack_within_deadline_share', scope, current, e.ackWithinDeadlineShare);
      add('ack_within_deadline_share_ci95_lower', scope, current, e.lower);
      add('ack_within_deadline_share_ci95_upper', scope, current, e.upper);
      add('median_hours_to_acknowledge', scope, current, e.medianHoursToAcknowledge);
      add('escalations_resolved', scope, current, e.resolved);
      add('median_days_to_resolve_escalation', scope, current, e.medianDaysToResolve);
      add('escalations_overdue_now', scope, now, e.overdueNow);
    };
    escalations(ALL, pack.escalations.overall);
    for (const b of pack.escalations.byBand) escalations(`band:${b.band}`, b);
    for (const l of pack.escalations.byLevel) escalations(`level_reached:${l.level}`, l);
    for (const o of pack.escalations.outcomes) add('escalation_outcome', `outcome:${o.outcome}`, current, o.count);
  });
}

/** Alignment against risk. */
function alignmentRows(pack: GovernancePack, { current }: Periods): Row[] {
  return collect((add) => {
    const resolution = (scope: string, r: Omit<GovernancePack['alignment']['byAlignment'][number], 'state'>) => {
      add('issues', scope, current, r.items);
      add('issues_resolved', scope, current, r.resolved);
      add('resolution_rate', scope, current, r.resolutionRate);
      add('resolution_rate_ci95_lower', scope, current, r.lower);
      add('resolution_rate_ci95_upper', scope, current, r.upper);
      add('median_days_to_resolution_km', scope, current, r.medianDaysToResolution);
    };
    add('issues', ALL, current, pack.alignment.items);
    for (const r of pack.alignment.byAlignment) resolution(`alignment:${r.state}`, r);
    for (const r of pack.alignment.byRiskBand) resolution(`band:${r.band}`, r);
    for (const [name, or] of [
      ['aligned_for_change', pack.alignment.alignedForChange],
      ['high_risk', pack.alignment.highRisk],
    ] as const) {
      const s = `comparison:${name}`;
      add('odds_ratio_of_resolution', s, current, or.oddsRatio);
      add('odds_ratio_ci95_lower', s, current, or.lower);
      add('odds_ratio_ci95_upper', s, current, or.upper);
      add('odds_ratio_method', s, current, or.method);
      add('fisher_exact_p', s, current, or.fisherP);
      add('small_counts', s, current, or.smallCounts);
      add('exposed_resolved', s, current, or.table.exposedResolved);
      add('exposed_unresolved', s, current, or.table.exposedUnresolved);
      add('reference_resolved', s, current, or.table.referenceResolved);
      add('reference_unresolved', s, current, or.table.referenceUnresolved);
    }
    adjustedCsv(pack.alignment.adjusted, add, current);
  });
}

/** Persistent issues (figures as at the end of the period; owner and response as now). */
function persistentIssueRows(pack: GovernancePack, { current, now }: Periods): Row[] {
  return collect((add) => {
    for (const p of pack.persistentIssues) {
      const s = `issue:${p.rank};${ward(p.ward)};category:${p.category}`;
      add('persistent_issue_description', s, current, p.description);
      add('persistent_issue_times_raised', s, current, p.timesRaised);
      add('persistent_issue_raised_in_period', s, current, p.raisedInPeriod);
      add('persistent_issue_days_open', s, current, p.daysOpen);
      add('persistent_issue_max_risk_score', s, current, p.maxRiskScore);
      add('persistent_issue_persistence_score', s, current, p.persistenceScore);
      add('persistent_issue_first_raised_on', s, current, p.firstRaisedOn);
      add('persistent_issue_owner', s, now, p.owner?.name ?? null);
      add('persistent_issue_escalation_state', s, now, p.escalationState);
      add('persistent_issue_latest_stance', s, now, p.latestResponse?.stance ?? null);
      add('persistent_issue_latest_rationale', s, now, p.latestResponse?.rationale ?? null);
      add('persistent_issue_planned_action', s, now, p.plannedAction?.description ?? null);
    }
  });
}

function priorityRows(pack: GovernancePack, { current, now }: Periods): Row[] {
  return collect((add) => {
    for (const p of pack.priorities) {
      const s = `priority:${p.id}`;
      add('priority_title', s, current, p.title);
      add('priority_owner', s, now, p.owner.name);
      add('priority_linked_items', s, current, p.linkedItems);
      add('priority_resolved_items', s, current, p.resolvedItems);
      add('priority_open_items', s, current, p.openItems);
      add('priority_items_raised_in_period', s, current, p.raisedInPeriod);
      add('priority_resolution_rate', s, current, p.resolutionRate);
    }
  });
}

function spcRows(pack: GovernancePack, { current }: Periods): Row[] {
  return collect((add) => {
    for (const chart of [pack.spc.itemsRaised, pack.spc.ackWithinDeadline, pack.spc.daysToResolution]) {
      const m = `spc_${chart.metric}`;
      for (const point of chart.points) {
        const week = `${point.period}/${addDays(point.period, 6)}`;
        add(m, ALL, week, point.value);
        if (point.special) add(`${m}_special_cause`, ALL, week, `${point.special.kind}:${point.special.rule}`);
      }
      add(`${m}_mean`, ALL, current, chart.mean);
      add(`${m}_upper_process_limit`, ALL, current, chart.upperProcessLimit);
      add(`${m}_lower_process_limit`, ALL, current, chart.lowerProcessLimit);
      add(`${m}_upper_near_limit`, ALL, current, chart.upperNearLimit);
      add(`${m}_lower_near_limit`, ALL, current, chart.lowerNearLimit);
      add(`${m}_trial_limits`, ALL, current, chart.trial);
      add(`${m}_target`, ALL, current, chart.target);
      add(`${m}_variation`, ALL, current, chart.variation);
      add(`${m}_assurance`, ALL, current, chart.assurance ?? null);
    }
  });
}

/** The CSV a section at a time, for a response written as it is made. */
export function packCsvChunks(pack: GovernancePack): Generator<string> {
  return csvChunks(CSV_HEADER, rowGroups(pack));
}

export function renderPackCsv(pack: GovernancePack): string {
  return [...packCsvChunks(pack)].join('');
}
