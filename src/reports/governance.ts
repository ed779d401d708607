/**
 * The governance board pack: one read of the database (a fixed number of grouped statements,
 * whatever the number of wards or items), shaped by the pure presenters of governance-*.ts.
 */
import type { TenantPrincipal } from '../auth/principal.js';
import { tuningOf, type Tuning } from '../deps.js';
import { adjustedAnalysis, analyseAlignment, type ResolutionGroup } from './alignment.js';
import { resolutionCells, type ResolutionCellRow } from './alignment-queries.js';
import type { AlignmentModels } from '../domain/alignment-models.js';
import { withReportContext, type ReportContext, type ReportDatabases } from './context.js';
import { barrierCounts, barrierSection, type BarrierRow } from './governance-barriers.js';
import { EscalationFigures, escalationSection } from './governance-escalations.js';
import { fidelitySection, itemsSection } from './governance-fidelity.js';
import { PersistentRanking, persistentSection, prioritySection, type RankedThread } from './governance-issues.js';
import {
  briefingFidelity,
  escalationFacts,
  itemCounts,
  notHeldReasons,
  openThreads,
  overdueNow,
  priorityProgress,
  threadDetails,
  type FidelityRow,
  type ItemCountRow,
  type NotHeldReasonRow,
  type OverdueRow,
  type PriorityRow,
  type ThreadDetailRow,
} from './governance-queries.js';
import type { GovernancePack, GovernanceQuery } from './schemas.js';
import { presentPeriod, presentScope, type ReportPeriod, type ReportScope } from './scope.js';
import { ackPoints, buildSpcChart, chartWeeks, spcChart, type SpcChart } from './spc.js';

// The pack's median, importable beside the pack it serves.
export { medianOf } from './governance-escalations.js';

export type GovernanceRequest = Omit<GovernanceQuery, 'format'>;

export function governancePack(
  deps: ReportDatabases & { tuning?: Tuning | undefined },
  principal: TenantPrincipal,
  request: GovernanceRequest,
  now = new Date(),
): Promise<GovernancePack> {
  const tuning = tuningOf(deps);
  return withReportContext(deps, principal, request, now, async (context) =>
    presentPack(context.scope, context.period, await readPack(context, request, tuning), request),
  );
}

/** What the pack is made of, as read from one snapshot. */
export interface PackReading {
  fidelity: FidelityRow[];
  notHeldReasons: NotHeldReasonRow[];
  itemCounts: ItemCountRow[];
  /** The escalations opened in the period, folded in as they were read. */
  escalations: EscalationFigures;
  overdue: OverdueRow[];
  resolutionCells: ResolutionCellRow[];
  /** Barriers named by managers who disagree or are undecided. */
  barriers: BarrierRow[];
  /** The adjusted models, fitted as soon as their rows were read (the rows are not kept). */
  adjusted: AlignmentModels;
  priorities: PriorityRow[];
  /** The weekly charts with a series of their own; acknowledgement within deadline comes from escalationFacts. */
  spc: { itemsRaised: SpcChart; daysToResolution: SpcChart };
  persistent: RankedThread[];
  persistentDetails: ThreadDetailRow[];
}

async function readPack(
  { db, scope, period }: ReportContext,
  request: GovernanceRequest,
  tuning: Tuning,
): Promise<PackReading> {
  // One after another: they share one snapshot transaction, whose connection runs one query at a time.
  // The two statements whose rows grow with the organisation's year (one per escalation, one per
  // open thread) are read through cursors and folded in as they come, so only the grouped figures
  // and the few threads shown are held, however large the organisation.
  const fidelity = await briefingFidelity(db, scope, period);
  const reasons = await notHeldReasons(db, scope, period);
  const counts = await itemCounts(db, scope, period);
  const escalations = new EscalationFigures();
  await escalationFacts(db, scope, period, (row) => escalations.add(row));
  const overdue = await overdueNow(db, scope, period);
  const cells = await resolutionCells(db, scope, period);
  const barriers = await barrierCounts(db, scope, period);
  const adjusted = await adjustedAnalysis({ db, scope, period });
  const ranking = new PersistentRanking(tuning);
  await openThreads(db, scope, period, (row) => ranking.offer(row));
  const priorities = await priorityProgress(db, scope, period);
  const itemsRaised = await buildSpcChart(db, scope, period, 'items_raised');
  const daysToResolution = await buildSpcChart(db, scope, period, 'days_to_resolution', request.resolutionDaysTarget);
  const persistent = ranking.ranked();
  const details =
    persistent.length > 0
      ? await threadDetails(
          db,
          scope,
          period,
          persistent.map((t) => t.thread_id),
        )
      : [];
  return {
    fidelity,
    notHeldReasons: reasons,
    itemCounts: counts,
    escalations,
    overdue,
    resolutionCells: cells,
    barriers,
    adjusted,
    priorities,
    spc: { itemsRaised, daysToResolution },
    persistent,
    persistentDetails: details,
  };
}

/** The alignment table of the pack: the analysis without its keys and survival curves. */
const withoutCurve = <K extends string>({ key: _key, curve: _curve, ...rest }: ResolutionGroup<K>) => rest;

/** Pure: the pack from what was read. */
export function presentPack(
  scope: ReportScope,
  period: ReportPeriod,
  reading: PackReading,
  request: Pick<GovernanceRequest, 'ackTarget'>,
): GovernancePack {
  const alignment = analyseAlignment(reading.resolutionCells);
  const escalations = escalationSection(reading.escalations, reading.overdue);
  return {
    scope: presentScope(scope),
    period: presentPeriod(period),
    fidelity: fidelitySection(scope, period, reading.fidelity, reading.notHeldReasons, reading.itemCounts),
    items: itemsSection(scope, reading.itemCounts),
    escalations: escalations.section,
    alignment: {
      items: alignment.items,
      byAlignment: alignment.byAlignment.map((g) => ({ state: g.key, ...withoutCurve(g) })),
      byRiskBand: alignment.byRiskBand.map((g) => ({ band: g.key, ...withoutCurve(g) })),
      alignedForChange: alignment.alignedForChange,
      highRisk: alignment.highRisk,
      adjusted: reading.adjusted,
      barriers: barrierSection(reading.barriers),
    },
    persistentIssues: persistentSection(scope, reading.persistent, reading.persistentDetails),
    priorities: prioritySection(scope, reading.priorities),
    spc: {
      itemsRaised: reading.spc.itemsRaised,
      // From the escalation pass above (grouped by week opened), not a second pass over the events.
      ackWithinDeadline: spcChart(
        'ack_within_deadline',
        ackPoints(chartWeeks(period).weeks, escalations.weeks),
        request.ackTarget,
      ),
      daysToResolution: reading.spc.daysToResolution,
    },
  };
}
