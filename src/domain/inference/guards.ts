/**
 * Checks made before trusting a model: groups too small to estimate from, and outcomes that one
 * group never (or always) has, which drives a coefficient to infinity.
 */
import { INTERCEPT, type Design } from './design.js';
import type { ModelWarning } from './wald.js';

/** Fewer observations than this in a level of a 0/1 predictor is flagged. */
export const DEFAULT_MIN_GROUP_SIZE = 10;
/** The usual rule of thumb: at least 10 of the rarer outcome per coefficient estimated. */
export const MIN_EVENTS_PER_COEFFICIENT = 10;

function isBinaryColumn(rows: number[][], j: number): boolean {
  return rows.every((row) => row[j] === 0 || row[j] === 1);
}

/** Warnings for each 0/1 column of the design whose 0s or 1s are few or all share one outcome. */
export function binaryColumnWarnings(design: Design, outcome: readonly number[], minGroupSize: number): ModelWarning[] {
  const warnings: ModelWarning[] = [];
  const events = outcome.filter((y) => y === 1).length;
  const rarer = Math.min(events, outcome.length - events);
  if (rarer === 0) {
    warnings.push({ code: 'separation', message: 'Every observation has the same outcome: nothing can be estimated.' });
    return warnings;
  }
  const slopes = design.names.filter((name) => name !== INTERCEPT).length;
  if (slopes > 0 && rarer / slopes < MIN_EVENTS_PER_COEFFICIENT) {
    warnings.push({
      code: 'few_events',
      message: `Only ${rarer} of the rarer outcome for ${slopes} predictors (fewer than ${MIN_EVENTS_PER_COEFFICIENT} each).`,
    });
  }
  design.names.forEach((name, j) => {
    if (name === INTERCEPT || !isBinaryColumn(design.rows, j)) return;
    for (const level of [0, 1]) {
      const inGroup = outcome.filter((_, i) => design.rows[i]?.[j] === level);
      const label = `${name} = ${level}`;
      if (inGroup.length < minGroupSize) {
        warnings.push({
          code: 'small_group',
          message: `${label} has ${inGroup.length} observations (fewer than ${minGroupSize}).`,
        });
      }
      const groupEvents = inGroup.filter((y) => y === 1).length;
      if (inGroup.length > 0 && (groupEvents === 0 || groupEvents === inGroup.length)) {
        warnings.push({
          code: 'separation',
          message: `Every observation with ${label} has outcome ${groupEvents === 0 ? 0 : 1}.`,
        });
      }
    }
  });
  return warnings;
}
