/** The alignment models as the alignment report and the board pack return them (docs/reports.md). */
import { z } from 'zod';
import { RISK_BANDS } from '../domain/risk.js';

const count = z.number().int().min(0);
const status = z
  .enum(['estimated', 'not_estimated'])
  .describe('not_estimated: a guard fired (too few issues, an empty stratum, separation); the figures are null');
const warning = z.object({
  code: z.enum(['not_converged', 'separation', 'singular', 'small_group', 'few_events', 'stratum_skipped']),
  message: z.string(),
});
const reading = z.string().describe('The figure in plain language');
const chiSquare = z.object({ chi2: z.number(), df: z.number().int().min(1), p: z.number(), reading });
const ratioTerm = {
  term: z.string().describe('agreement, band_<band> (against referenceBand) or priority_aligned'),
  ratio: z.number(),
  standardError: z.number(),
  lower: z.number(),
  upper: z.number(),
  p: z.number(),
  reading,
};
const base = { status, warnings: z.array(warning), reading };

export const alignmentModelsSchema = z
  .object({
    measuredAt: z
      .literal('first_manager_response')
      .describe("Agreement is read just after the manager's first answer (agree or disagree)"),
    observations: count.describe('Issues in the models: answered at first response, with a risk band'),
    agreed: count.describe('Of those, aligned for change at first response'),
    excluded: z.object({ noAnswer: count, noBand: count }),
    threads: count.describe('Threads of repeats (the clusters)'),
    bands: z.array(z.enum(RISK_BANDS)),
    referenceBand: z.enum(RISK_BANDS).nullable(),
    omittedTerms: z.array(z.object({ term: z.string(), reason: z.string() })),
    logistic: z.object({
      ...base,
      terms: z.array(
        z.object({
          ...ratioTerm,
          modelStandardError: z.number(),
          modelLower: z.number(),
          modelUpper: z.number(),
          modelP: z.number(),
        }),
      ),
      agreementTest: chiSquare.nullable(),
      bandTest: chiSquare.nullable(),
    }),
    mantelHaenszel: z.object({
      ...base,
      strata: count,
      oddsRatio: z.number().nullable(),
      lower: z.number().nullable(),
      upper: z.number().nullable(),
      test: chiSquare.nullable(),
      breslowDay: chiSquare.nullable(),
    }),
    cox: z.object({ ...base, events: count, terms: z.array(z.object(ratioTerm)) }),
    logRank: z.object({
      ...base,
      observed: count,
      expected: z.number().nullable(),
      test: chiSquare.nullable(),
    }),
  })
  .meta({ id: 'AlignmentModels' });
