/**
 * The claim that agreement predicts resolution, tested with models that allow for risk band and
 * priority alignment: logistic regression (Wald intervals clustered on threads of repeats and
 * likelihood-ratio tests), the Mantel-Haenszel odds ratio stratified by band with the Breslow-Day
 * test, a Cox model of time to resolution and the log-rank test. A model whose guards fire
 * (src/domain/inference/guards.ts) gives no figures, only its warnings. Pure, no I/O.
 */
import { coxGuards, coxRegression } from './inference/cox.js';
import { binaryColumnWarnings, DEFAULT_MIN_GROUP_SIZE } from './inference/guards.js';
import { designMatrix, dropColumns, numericColumn, treatmentColumns, type Design } from './inference/design.js';
import { logRankTest } from './inference/log-rank.js';
import { clusterRobustEstimates, likelihoodRatioTest, logisticRegression } from './inference/logistic.js';
import { mantelHaenszel, type TwoByTwo } from './inference/mantel-haenszel.js';
import type { ModelWarning, WaldEstimate } from './inference/wald.js';
import { RISK_BANDS, type RiskBand } from './risk.js';
import {
  coxReading,
  logisticReading,
  logRankReading,
  lrReading,
  mantelHaenszelReading,
  notEstimatedReading,
} from './alignment-readings.js';

/** One problem or risk: agreement at the manager's first response (null: no answer by then). */
export interface ModelObservation {
  agreement: boolean | null;
  band: RiskBand | null;
  priorityAligned: boolean;
  resolved: boolean;
  /** Days to resolution, or to the as-at date when still open (censored). */
  days: number;
  thread: string;
}

export type ModelStatus = 'estimated' | 'not_estimated';

export interface RatioTerm {
  term: string;
  ratio: number;
  /** Cluster-robust (logistic) or model-based (Cox) standard error of the log ratio. */
  standardError: number;
  lower: number;
  upper: number;
  p: number;
  reading: string;
}

export interface LogisticTerm extends RatioTerm {
  modelStandardError: number;
  modelLower: number;
  modelUpper: number;
  modelP: number;
}

export interface ChiSquareFigure {
  chi2: number;
  df: number;
  p: number;
  reading: string;
}

interface ModelBase {
  status: ModelStatus;
  warnings: ModelWarning[];
  reading: string;
}

export interface AlignmentModels {
  measuredAt: 'first_manager_response';
  observations: number;
  agreed: number;
  excluded: { noAnswer: number; noBand: number };
  threads: number;
  bands: RiskBand[];
  referenceBand: RiskBand | null;
  omittedTerms: { term: string; reason: string }[];
  logistic: ModelBase & {
    terms: LogisticTerm[];
    agreementTest: ChiSquareFigure | null;
    bandTest: ChiSquareFigure | null;
  };
  mantelHaenszel: ModelBase & {
    strata: number;
    oddsRatio: number | null;
    lower: number | null;
    upper: number | null;
    test: ChiSquareFigure | null;
    breslowDay: ChiSquareFigure | null;
  };
  cox: ModelBase & { events: number; terms: RatioTerm[] };
  logRank: ModelBase & { observed: number; expected: number | null; test: ChiSquareFigure | null };
}

type Usable = ModelObservation & { agreement: boolean; band: RiskBand };

export const AGREEMENT = 'agreement';
export const PRIORITY = 'priority_aligned';
const BAND = 'band';

/** The design's columns: agreement, the bands present (against the lowest), priority when it varies. */
function designOf(rows: Usable[]) {
  const bands = RISK_BANDS.filter((band) => rows.some((r) => r.band === band));
  const omittedTerms: { term: string; reason: string }[] = [];
  const columns = [numericColumn<Usable>(AGREEMENT, (r) => (r.agreement ? 1 : 0))];
  if (bands.length > 1) columns.push(...treatmentColumns<Usable>(BAND, (r) => r.band, bands, bands[0] as string));
  else if (rows.length > 0) omittedTerms.push({ term: BAND, reason: 'Every issue is in the same risk band.' });
  const linked = rows.filter((r) => r.priorityAligned).length;
  if (linked > 0 && linked < rows.length)
    columns.push(numericColumn<Usable>(PRIORITY, (r) => (r.priorityAligned ? 1 : 0)));
  else if (rows.length > 0) {
    const reason = `${linked === 0 ? 'No' : 'Every'} issue is linked to an active QI priority.`;
    omittedTerms.push({ term: PRIORITY, reason });
  }
  return { bands, omittedTerms, columns };
}

const bandColumns = (design: Design) => design.names.filter((name) => name.startsWith(`${BAND}_`));

function fitLogistic(rows: Usable[], design: Design, referenceBand: RiskBand | null): AlignmentModels['logistic'] {
  const outcome = rows.map((r) => (r.resolved ? 1 : 0));
  const none = { terms: [], agreementTest: null, bandTest: null };
  // Too small or one-sided for the model: the guards' reasons, and no fit at all.
  const guards = binaryColumnWarnings(design, outcome, DEFAULT_MIN_GROUP_SIZE);
  if (guards.length > 0)
    return { status: 'not_estimated', warnings: guards, reading: notEstimatedReading(guards), ...none };
  const fit = logisticRegression(design, outcome);
  const robust =
    fit.warnings.length === 0
      ? clusterRobustEstimates(
          fit,
          design,
          outcome,
          rows.map((r) => r.thread),
        )
      : null;
  if (robust === null) {
    const warnings =
      fit.warnings.length > 0
        ? fit.warnings
        : [
            {
              code: 'small_group' as const,
              message: 'Fewer than two threads of repeats: no clustered standard errors.',
            },
          ];
    return { status: 'not_estimated', warnings, reading: notEstimatedReading(warnings), ...none };
  }
  const byName = new Map(fit.estimates.map((e) => [e.name, e]));
  const adjusters = design.names.filter((n) => n !== 'intercept');
  const terms = robust.estimates
    .filter((e) => e.name !== 'intercept')
    .map((e): LogisticTerm => {
      const model = byName.get(e.name) as WaldEstimate;
      return {
        ...ratioOf(e),
        modelStandardError: model.standardError,
        modelLower: model.lower,
        modelUpper: model.upper,
        modelP: model.p,
        reading: logisticReading(e, adjusters, referenceBand),
      };
    });
  const test = (drop: string[], what: 'agreement' | 'band') => {
    if (drop.length === 0) return null;
    const reduced = logisticRegression(dropColumns(design, drop), outcome);
    const lr = likelihoodRatioTest(fit, reduced);
    return { ...lr, reading: lrReading(what, lr) };
  };
  return {
    status: 'estimated',
    warnings: [],
    reading: terms.find((t) => t.term === AGREEMENT)?.reading ?? '',
    terms,
    agreementTest: test([AGREEMENT], 'agreement'),
    bandTest: test(bandColumns(design), 'band'),
  };
}

function ratioOf(e: WaldEstimate) {
  return { term: e.name, ratio: e.ratio, standardError: e.standardError, lower: e.lower, upper: e.upper, p: e.p };
}

function fitMantelHaenszel(rows: Usable[], bands: RiskBand[]): AlignmentModels['mantelHaenszel'] {
  const count = (band: RiskBand, agreed: boolean, resolved: boolean) =>
    rows.filter((r) => r.band === band && r.agreement === agreed && r.resolved === resolved).length;
  const tables: TwoByTwo[] = bands.map((band) => [
    [count(band, true, true), count(band, true, false)],
    [count(band, false, true), count(band, false, false)],
  ]);
  const mh = mantelHaenszel(tables);
  // The strata are the bands: name them so, not by their index.
  mh.warnings = mh.warnings.map((w) => ({
    ...w,
    message: w.message.replace(/^Stratum (\d+)/, (_, k: string) => `The ${bands[Number(k)]} band`),
  }));
  const none = { strata: bands.length, oddsRatio: null, lower: null, upper: null, test: null, breslowDay: null };
  if (mh.warnings.length > 0 || mh.pooledOddsRatio === null || mh.test === null) {
    return { status: 'not_estimated', warnings: mh.warnings, reading: notEstimatedReading(mh.warnings), ...none };
  }
  const readings = mantelHaenszelReading(mh);
  return {
    status: 'estimated',
    warnings: [],
    reading: readings.pooled,
    strata: mh.strataUsed,
    oddsRatio: mh.pooledOddsRatio,
    lower: mh.lower,
    upper: mh.upper,
    test: { chi2: mh.test.chi2, df: mh.test.df, p: mh.test.p, reading: readings.test },
    breslowDay: mh.breslowDay && { ...mh.breslowDay, reading: readings.breslowDay },
  };
}

function fitCox(rows: Usable[], design: Design, referenceBand: RiskBand | null): AlignmentModels['cox'] {
  const survival = rows.map((r) => ({ time: r.days, event: r.resolved }));
  const events = survival.filter((o) => o.event).length;
  const guards = coxGuards(design, survival, DEFAULT_MIN_GROUP_SIZE);
  if (guards.length > 0)
    return { status: 'not_estimated', warnings: guards, reading: notEstimatedReading(guards), events, terms: [] };
  const fit = coxRegression(design, survival);
  if (fit.warnings.length > 0) {
    return {
      status: 'not_estimated',
      warnings: fit.warnings,
      reading: notEstimatedReading(fit.warnings),
      events: fit.events,
      terms: [],
    };
  }
  const terms = fit.estimates.map((e) => ({ ...ratioOf(e), reading: coxReading(e, design.names, referenceBand) }));
  return { status: 'estimated', warnings: [], reading: terms[0]?.reading ?? '', events: fit.events, terms };
}

function fitLogRank(rows: Usable[]): AlignmentModels['logRank'] {
  const result = logRankTest(rows.map((r) => ({ time: r.days, event: r.resolved, inGroup: r.agreement })));
  if (result.warnings.length > 0 || result.chi2 === null || result.p === null) {
    const { warnings } = result;
    return {
      status: 'not_estimated',
      warnings,
      reading: notEstimatedReading(warnings),
      observed: result.observed,
      expected: null,
      test: null,
    };
  }
  const test = { chi2: result.chi2, df: result.df, p: result.p };
  const reading = logRankReading(result.observed, result.expected, test);
  return {
    status: 'estimated',
    warnings: [],
    reading,
    observed: result.observed,
    expected: result.expected,
    test: { ...test, reading },
  };
}

export function alignmentModels(observations: readonly ModelObservation[]): AlignmentModels {
  const answered = observations.filter((o) => o.agreement !== null);
  const rows = answered.filter((o): o is Usable => o.band !== null);
  const { bands, omittedTerms, columns } = designOf(rows);
  const referenceBand = bands.length > 1 ? (bands[0] as RiskBand) : null;
  // Each model builds its own design matrix, so only one is held at a time (a large trust has
  // hundreds of thousands of rows).
  return {
    measuredAt: 'first_manager_response',
    observations: rows.length,
    agreed: rows.filter((r) => r.agreement).length,
    excluded: { noAnswer: observations.length - answered.length, noBand: answered.length - rows.length },
    threads: new Set(rows.map((r) => r.thread)).size,
    bands,
    referenceBand,
    omittedTerms,
    logistic: fitLogistic(rows, designMatrix(rows, columns), referenceBand),
    mantelHaenszel: fitMantelHaenszel(rows, bands),
    cox: fitCox(rows, designMatrix(rows, columns, false), referenceBand),
    logRank: fitLogRank(rows),
  };
}
