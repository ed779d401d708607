/**
 * The clinical risk matrix of DCB0129 / DCB0160: severity x likelihood gives a risk rating from
 * 1 to 5, and the rating says whether the risk may be accepted. The clinical risk management
 * plan (docs/clinical-safety/clinical-risk-management-plan.md) explains each category.
 */
export const SEVERITIES = ['Minor', 'Significant', 'Considerable', 'Major', 'Catastrophic'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const LIKELIHOODS = ['Very low', 'Low', 'Medium', 'High', 'Very high'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];

export type RiskRating = 1 | 2 | 3 | 4 | 5;

/** Rows are likelihood, columns severity (Minor .. Catastrophic), as the matrix is printed. */
const MATRIX: Record<Likelihood, readonly [RiskRating, RiskRating, RiskRating, RiskRating, RiskRating]> = {
  'Very high': [3, 4, 4, 5, 5],
  High: [2, 3, 3, 4, 5],
  Medium: [2, 2, 3, 3, 4],
  Low: [1, 2, 2, 3, 4],
  'Very low': [1, 1, 2, 2, 3],
};

export function riskRating(severity: Severity, likelihood: Likelihood): RiskRating {
  return MATRIX[likelihood][SEVERITIES.indexOf(severity)]!;
}

export type Acceptability = 'acceptable' | 'tolerable' | 'undesirable' | 'unacceptable';

export const ACCEPTABILITY: Record<RiskRating, { band: Acceptability; label: string; meaning: string }> = {
  1: { band: 'acceptable', label: 'Acceptable', meaning: 'Acceptable; no further action is needed.' },
  2: {
    band: 'tolerable',
    label: 'Tolerable (ALARP)',
    meaning: 'Acceptable where further reduction is impractical or would cost more than the benefit it brings.',
  },
  3: {
    band: 'undesirable',
    label: 'Undesirable',
    meaning:
      'Reduce further where possible; may be accepted only with a written justification, signed off by the Clinical Safety Officer, that further reduction is impractical.',
  },
  4: {
    band: 'unacceptable',
    label: 'Unacceptable',
    meaning:
      'The hazard must be removed or further controls added before release; open with a justification and a planned control.',
  },
  5: {
    band: 'unacceptable',
    label: 'Unacceptable',
    meaning:
      'Must not be released; open with a justification and a planned control, and escalated to the accountable officer.',
  },
};

export function acceptability(rating: RiskRating): Acceptability {
  return ACCEPTABILITY[rating].band;
}

/** The matrix as rows of likelihood (Very high first), for the rendered page and the plan. */
export function matrixRows(): { likelihood: Likelihood; ratings: RiskRating[] }[] {
  return [...LIKELIHOODS].reverse().map((likelihood) => ({ likelihood, ratings: [...MATRIX[likelihood]] }));
}
