/**
 * The board pack's adjusted alignment models for the data set of dataset.ts, worked by hand.
 *
 * Agreement is read at the manager's first answer (agree or disagree) by the end of the period,
 * with the team's position (nc) as it stood then:
 *   a1  nc, agree    -> aligned for change  high      resolved (day 4)   linked to PR1 (active)
 *   a3  nc, agree    -> aligned for change  extreme   open
 *   a8  nc, disagree -> clinical only       moderate  resolved (day 10)  linked to PR1, thread T1
 *   a9  nc, agree    -> aligned for change  high      resolved (day 3)   linked to PR4 (retired: not aligned)
 *   a10 !nc, disagree-> aligned no change   moderate  resolved (day 1)
 *   a11 !nc, agree   -> managerial only     moderate  open
 * Not answered by then: a5 (never acknowledged), a6 (pending), a7 (the ward fixed it), b1 b2 b3
 * (W2 has no policy): 6. So 6 observations, 3 agreed, 6 threads (a8's is T1, the rest their own).
 *
 * Every model is too small for this data set, and that is the expected answer: the figures are
 * null and the reasons are the guards', counted here from the table above. The design is
 * agreement, band_high and band_extreme (against moderate, the lowest band present) and
 * priority_aligned (2 of 6 linked: it varies, so it stays in).
 *   agreement   0: a8 a10 a11 (3)      1: a1 a3 a9 (3)
 *   band_high   0: a3 a8 a10 a11 (4)   1: a1 a9 (2, both resolved: separation)
 *   band_extreme 0: 5                  1: a3 (1, open: separation)
 *   priority    0: a3 a9 a10 a11 (4)   1: a1 a8 (2, both resolved: separation)
 * Resolved: a1 a8 a9 a10 (4); open: a3 a11 (2, the rarer outcome).
 */

const small = (name: string, level: 0 | 1, n: number) => ({
  code: 'small_group',
  message: `${name} = ${level} has ${n} observations (fewer than 10).`,
});
const notEstimated = (warnings: { message: string }[]) =>
  `Not estimated: the data are too few or too one-sided for this model. ${warnings.map((w) => w.message).join(' ')}`;

function logistic() {
  const warnings = [
    { code: 'few_events', message: 'Only 2 of the rarer outcome for 4 predictors (fewer than 10 each).' },
    small('agreement', 0, 3),
    small('agreement', 1, 3),
    small('band_high', 0, 4),
    small('band_high', 1, 2),
    { code: 'separation', message: 'Every observation with band_high = 1 has outcome 1.' },
    small('band_extreme', 0, 5),
    small('band_extreme', 1, 1),
    { code: 'separation', message: 'Every observation with band_extreme = 1 has outcome 0.' },
    small('priority_aligned', 0, 4),
    small('priority_aligned', 1, 2),
    { code: 'separation', message: 'Every observation with priority_aligned = 1 has outcome 1.' },
  ];
  return {
    status: 'not_estimated',
    warnings,
    reading: notEstimated(warnings),
    terms: [],
    agreementTest: null,
    bandTest: null,
  };
}

function cox() {
  const warnings = [
    { code: 'few_events', message: '4 events for 4 coefficients (fewer than 10 each).' },
    small('agreement', 0, 3),
    small('agreement', 1, 3),
    small('band_high', 0, 4),
    small('band_high', 1, 2),
    small('band_extreme', 0, 5),
    small('band_extreme', 1, 1),
    { code: 'separation', message: 'No event among band_extreme = 1: its hazard ratio is 0 or infinite.' },
    small('priority_aligned', 0, 4),
    small('priority_aligned', 1, 2),
  ];
  return { status: 'not_estimated', warnings, reading: notEstimated(warnings), events: 4, terms: [] };
}

/**
 * Mantel-Haenszel by band: moderate has no agreed issue, high no issue that is not agreed, extreme
 * one issue only; every stratum has an empty row, so none informs the pooled odds ratio.
 */
function mantelHaenszel() {
  const skipped = (band: string) => ({
    code: 'stratum_skipped',
    message: `The ${band} band has an empty row or column and tells nothing about the association.`,
  });
  const warnings = [
    skipped('moderate'),
    skipped('high'),
    skipped('extreme'),
    {
      code: 'separation',
      message: 'The pooled odds ratio is 0 or infinite: an outcome never occurs in one row of every stratum.',
    },
  ];
  return {
    status: 'not_estimated',
    warnings,
    reading: notEstimated(warnings),
    strata: 3,
    oddsRatio: null,
    lower: null,
    upper: null,
    test: null,
    breslowDay: null,
  };
}

/** Log-rank: 3 agreed against 3 others, both under 10; 2 agreed issues resolved (a1, a9). */
function logRank() {
  const warnings = [
    { code: 'small_group', message: 'The first group has 3 observations (fewer than 10).' },
    { code: 'small_group', message: 'The second group has 3 observations (fewer than 10).' },
  ];
  return {
    status: 'not_estimated',
    warnings,
    reading: notEstimated(warnings),
    observed: 2,
    expected: null,
    test: null,
  };
}

export function expectedAdjusted() {
  return {
    measuredAt: 'first_manager_response',
    observations: 6,
    agreed: 3,
    excluded: { noAnswer: 6, noBand: 0 },
    threads: 6,
    bands: ['moderate', 'high', 'extreme'],
    referenceBand: 'moderate',
    omittedTerms: [],
    logistic: logistic(),
    mantelHaenszel: mantelHaenszel(),
    cox: cox(),
    logRank: logRank(),
  };
}
