/**
 * Every one of the 240 reference series in spc-xmr.json, charted by xmrChart, must give what
 * NHSRplotthedots 0.2 gives with its defaults: the limits, each point's type, the latest point's
 * variation and the assurance.
 */
import { describe, expect, it } from 'vitest';
import {
  xmrChart,
  xmrLimits,
  type ImprovementDirection,
  type SpecialCauseRule,
  type XmrChart,
} from '../../src/domain/spc.js';
import { expectClose, readJsonVector } from './reference-vectors.js';

interface ReferenceSeries {
  y: number[];
  improvement: ImprovementDirection;
  target?: number;
  expected: {
    mean: number;
    averageMovingRange: number;
    upperProcessLimit: number;
    lowerProcessLimit: number;
    upperNearLimit: number;
    lowerNearLimit: number;
    pointTypes: string[];
    pointKinds: (string | null)[];
    variation: string;
    /** null where a target is given on a neutral measure: no assurance. */
    assurance?: string | null;
  };
}

const SERIES = readJsonVector<ReferenceSeries[]>('spc-xmr.json');
const TOLERANCE = 1e-9;

/** The reference's point-type labels, as this service's rule and side of the mean. */
const TYPE_LABELS: Record<string, { rule: SpecialCauseRule; side: 'high' | 'low' } | null> = {
  'Common Cause': null,
  'Above UCL': { rule: 'outside_limits', side: 'high' },
  'Below LCL': { rule: 'outside_limits', side: 'low' },
  '7 Points Above CL': { rule: 'shift', side: 'high' },
  '7 Points Below CL': { rule: 'shift', side: 'low' },
  '2 in 3 Above CL': { rule: 'two_of_three', side: 'high' },
  '2 in 3 Below CL': { rule: 'two_of_three', side: 'low' },
};

/** What xmrChart says of each point, in the reference's terms. */
function pointVerdicts(chart: XmrChart): ({ rule: SpecialCauseRule; side: 'high' | 'low'; kind: string } | null)[] {
  const mean = chart.mean as number;
  return chart.points.map(({ value, special }) =>
    special ? { rule: special.rule, side: value > mean ? 'high' : 'low', kind: special.kind } : null,
  );
}

describe('xmrChart against the NHSRplotthedots reference series', () => {
  it('has all 240 series to check', () => {
    expect(SERIES).toHaveLength(240);
  });

  it.each(SERIES.map((series, index) => ({ index, series })))(
    'series $index ($series.improvement, $series.y.length points)',
    ({ index, series }) => {
      const { expected } = series;
      const chart = xmrChart(
        series.y.map((value, i) => ({ period: `P${i + 1}`, value })),
        { improvement: series.improvement, ...(series.target === undefined ? {} : { target: series.target }) },
      );
      const limits = ['mean', 'upperProcessLimit', 'lowerProcessLimit', 'upperNearLimit', 'lowerNearLimit'] as const;
      for (const name of limits) {
        expectClose(chart[name] as number, expected[name], TOLERANCE, `series ${index} ${name}`);
      }
      expectClose(
        xmrLimits(series.y).averageMovingRange,
        expected.averageMovingRange,
        TOLERANCE,
        `series ${index} AMR`,
      );

      const wanted = expected.pointTypes.map((label, i) => {
        const type = TYPE_LABELS[label];
        if (type === undefined) throw new Error(`unknown point type ${label}`);
        return type === null ? null : { ...type, kind: expected.pointKinds[i] };
      });
      expect(pointVerdicts(chart)).toEqual(wanted);
      expect(chart.variation).toBe(expected.variation);
      expect(chart.assurance).toBe(expected.assurance ?? undefined);
    },
  );
});
