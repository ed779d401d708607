/**
 * Plain-language readings of the alignment models' figures, one sentence beside each, as a board
 * member would say them. Pure, no I/O.
 */
import type { MantelHaenszelResult } from './inference/mantel-haenszel.js';
import type { ModelWarning, WaldEstimate } from './inference/wald.js';

const SIGNIFICANCE = 0.05;

/** A ratio or statistic to two decimals (three significant figures below 0.1). */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) < 0.1 && value !== 0 ? value.toPrecision(2) : value.toFixed(2);
}

export function pValue(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

const interval = (e: Pick<WaldEstimate, 'lower' | 'upper'>) => `95% CI ${figure(e.lower)} to ${figure(e.upper)}`;

function termLabel(term: string, referenceBand: string | null): { group: string; others: string } {
  if (term === 'agreement') {
    return {
      group: "Issues where the team and the manager agreed change was needed (at the manager's first response)",
      others: 'the other answered issues',
    };
  }
  if (term === 'priority_aligned') {
    return { group: 'Issues linked to an active QI priority', others: 'those not linked' };
  }
  const band = term.replace(/^band_/, '');
  return { group: `Issues in the ${band} risk band`, others: `those in the ${referenceBand ?? 'reference'} band` };
}

function allowingFor(term: string, names: readonly string[]): string {
  const others = new Set(
    names.filter((n) => n !== term && n !== 'intercept').map((n) => (n.startsWith('band_') ? 'band' : n)),
  );
  if (term.startsWith('band_')) others.delete('band');
  const words = [...others].map((n) =>
    n === 'agreement' ? 'agreement' : n === 'band' ? 'risk band' : 'priority alignment',
  );
  return words.length === 0 ? '' : `, allowing for ${words.join(' and ')}`;
}

/** "Issues where ... had 3.10 times the odds of resolution of ..., allowing for ... (95% CI ...; p = ...)." */
export function logisticReading(e: WaldEstimate, names: readonly string[], referenceBand: string | null): string {
  const { group, others } = termLabel(e.name, referenceBand);
  return (
    `${group} had ${figure(e.ratio)} times the odds of being resolved of ${others}${allowingFor(e.name, names)} ` +
    `(${interval(e)}, standard errors clustered on threads of repeats; ${pValue(e.p)}).`
  );
}

export function coxReading(e: WaldEstimate, names: readonly string[], referenceBand: string | null): string {
  const { group, others } = termLabel(e.name, referenceBand);
  return (
    `${group} were resolved at ${figure(e.ratio)} times the rate of ${others} at any point in time` +
    `${allowingFor(e.name, names)} (${interval(e)}; ${pValue(e.p)}).`
  );
}

export function lrReading(what: 'agreement' | 'band', test: { chi2: number; df: number; p: number }): string {
  const subject = what === 'agreement' ? 'Agreement at first response' : 'Risk band';
  const given = what === 'agreement' ? 'risk band and priority alignment' : 'agreement and priority alignment';
  const verdict = test.p < SIGNIFICANCE ? 'adds' : 'does not clearly add';
  return (
    `${subject} ${verdict} to the prediction of resolution once ${given} are known ` +
    `(likelihood-ratio chi-square ${figure(test.chi2)} on ${test.df} df, ${pValue(test.p)}).`
  );
}

export function mantelHaenszelReading(mh: MantelHaenszelResult) {
  const pooled =
    `Comparing like with like within each risk band, agreed issues had ${figure(mh.pooledOddsRatio as number)} times ` +
    `the odds of being resolved of the other answered issues (95% CI ${figure(mh.lower as number)} to ${figure(mh.upper as number)}).`;
  const test = mh.test
    ? `The Mantel-Haenszel test of no association within bands gives chi-square ${figure(mh.test.chi2)} on 1 df, ${pValue(mh.test.p)}.`
    : '';
  const breslowDay = mh.breslowDay
    ? `The Breslow-Day test (chi-square ${figure(mh.breslowDay.chi2)} on ${mh.breslowDay.df} df, ${pValue(mh.breslowDay.p)}) ` +
      (mh.breslowDay.p < SIGNIFICANCE
        ? 'finds the odds ratio differs between bands: read the pooled figure with care.'
        : 'finds no clear difference in the odds ratio between bands.')
    : '';
  return { pooled, test, breslowDay };
}

export function logRankReading(observed: number, expected: number, test: { chi2: number; p: number }): string {
  const verdict = test.p < SIGNIFICANCE ? 'differs' : 'does not clearly differ';
  return (
    `Time to resolution ${verdict} between agreed issues and the others: ${observed} agreed issues were resolved ` +
    `against ${figure(expected)} expected if both groups were alike (log-rank chi-square ${figure(test.chi2)} on 1 df, ${pValue(test.p)}).`
  );
}

export function notEstimatedReading(warnings: readonly ModelWarning[]): string {
  return `Not estimated: the data are too few or too one-sided for this model. ${warnings.map((w) => w.message).join(' ')}`.trim();
}
