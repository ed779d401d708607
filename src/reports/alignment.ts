/**
 * Does agreement predict resolution better than risk? Resolution by alignment state beside
 * resolution by risk band, the odds ratio of resolution for aligned_for_change against the
 * other answered states, and Kaplan-Meier time-to-resolution curves.
 */
import type { TenantPrincipal } from '../auth/principal.js';
import { ALIGNMENT_STATES, type AlignmentState } from '../domain/alignment.js';
import { RISK_BANDS, type RiskBand } from '../domain/risk.js';
import {
  resolutionOddsRatio,
  summariseResolution,
  type ResolutionCell,
  type ResolutionOddsRatio,
  type ResolutionSummary,
} from '../domain/resolution.js';
import type { SurvivalPoint } from '../domain/statistics.js';
import { alignmentModels, type ModelObservation } from '../domain/alignment-models.js';
import { forEachModelRow, resolutionCells, type ModelRow, type ResolutionCellRow } from './alignment-queries.js';
import { withReportContext, type ReportContext, type ReportDatabases } from './context.js';
import { presentPeriod, presentScope, type ReportFilter } from './scope.js';

/** States where both sides have answered; `pending` is left out of the comparison. */
export const ANSWERED_STATES: readonly AlignmentState[] = ALIGNMENT_STATES.filter((s) => s !== 'pending');
const OTHER_ANSWERED = ANSWERED_STATES.filter((s) => s !== 'aligned_for_change');
const HIGH_BANDS: readonly RiskBand[] = ['high', 'extreme'];
const LOW_BANDS: readonly RiskBand[] = ['low', 'moderate'];

export interface ResolutionGroup<K extends string> extends ResolutionSummary {
  key: K;
  curve: { points: SurvivalPoint[]; median: number | null };
}

export interface AlignmentAnalysis {
  items: number;
  byAlignment: ResolutionGroup<AlignmentState>[];
  byRiskBand: ResolutionGroup<RiskBand>[];
  alignedForChange: ResolutionOddsRatio & { exposed: string[]; reference: string[] };
  highRisk: ResolutionOddsRatio & { exposed: string[]; reference: string[] };
}

function group<K extends string>(key: K, cells: ResolutionCell[]): ResolutionGroup<K> {
  const { curve, ...summary } = summariseResolution(cells);
  return { key, ...summary, curve };
}

const totals = (groups: ResolutionGroup<string>[], keys: readonly string[]) =>
  groups
    .filter((g) => keys.includes(g.key))
    .reduce((sum, g) => ({ items: sum.items + g.items, resolved: sum.resolved + g.resolved }), {
      items: 0,
      resolved: 0,
    });

/** Pure: the analysis from the grouped cells. */
export function analyseAlignment(rows: readonly ResolutionCellRow[]): AlignmentAnalysis {
  const cellsOf = (match: (row: ResolutionCellRow) => boolean): ResolutionCell[] =>
    rows.filter(match).map((r) => ({ days: r.days, resolved: r.resolved, count: r.count }));
  const byAlignment = ALIGNMENT_STATES.map((state) =>
    group(
      state,
      cellsOf((r) => r.alignment === state),
    ),
  );
  const byRiskBand = RISK_BANDS.map((band) =>
    group(
      band,
      cellsOf((r) => r.band === band),
    ),
  );
  return {
    items: rows.reduce((sum, r) => sum + r.count, 0),
    byAlignment,
    byRiskBand,
    alignedForChange: {
      exposed: ['aligned_for_change'],
      reference: [...OTHER_ANSWERED],
      ...resolutionOddsRatio(totals(byAlignment, ['aligned_for_change']), totals(byAlignment, OTHER_ANSWERED)),
    },
    highRisk: {
      exposed: [...HIGH_BANDS],
      reference: [...LOW_BANDS],
      ...resolutionOddsRatio(totals(byRiskBand, HIGH_BANDS), totals(byRiskBand, LOW_BANDS)),
    },
  };
}

export async function alignmentAnalysis({ db, scope, period }: ReportContext) {
  return analyseAlignment(await resolutionCells(db, scope, period));
}

/** The models' observations: agreement is aligned_for_change at first response, null when unanswered. */
export function modelObservation(r: ModelRow): ModelObservation {
  return {
    agreement: r.alignment === 'pending' ? null : r.alignment === 'aligned_for_change',
    band: r.band as RiskBand | null,
    priorityAligned: r.priority_aligned,
    resolved: r.resolved,
    days: r.days,
    thread: r.thread,
  };
}

/**
 * The adjusted analysis (agreement at the manager's first response) of the report's scope and
 * period, each issue read as one observation as it arrives (only those are held while fitting).
 */
export async function adjustedAnalysis({ db, scope, period }: Pick<ReportContext, 'db' | 'scope' | 'period'>) {
  const observations: ModelObservation[] = [];
  await forEachModelRow(db, scope, period, (row) => {
    const observation = modelObservation(row);
    // The models only count issues without an answer or a band: one shared stand-in holds their place.
    observations.push(observation.agreement === null ? NO_ANSWER : observation.band === null ? NO_BAND : observation);
  });
  return alignmentModels(observations);
}

const NO_ANSWER: ModelObservation = {
  agreement: null,
  band: null,
  priorityAligned: false,
  resolved: false,
  days: 0,
  thread: '',
};
const NO_BAND: ModelObservation = { ...NO_ANSWER, agreement: false };

const presentGroup = <K extends string>({ key: _key, curve, ...rest }: ResolutionGroup<K>) => ({
  ...rest,
  survival: curve,
});

/** GET /v1/reports/alignment */
export function alignmentReport(
  databases: ReportDatabases,
  principal: TenantPrincipal,
  request: ReportFilter,
  now = new Date(),
) {
  return withReportContext(databases, principal, request, now, async (context) => {
    const analysis = await alignmentAnalysis(context);
    const models = await adjustedAnalysis(context);
    return {
      scope: presentScope(context.scope),
      period: presentPeriod(context.period),
      items: analysis.items,
      byAlignment: analysis.byAlignment.map((g) => ({ state: g.key, ...presentGroup(g) })),
      byRiskBand: analysis.byRiskBand.map((g) => ({ band: g.key, ...presentGroup(g) })),
      alignedForChange: analysis.alignedForChange,
      highRisk: analysis.highRisk,
      models,
    };
  });
}
