import { describe, expect, it } from 'vitest';
import { spcChart } from '../../src/reports/spc.js';
import { SPC_COLOURS, barsSvg, xmrSvg } from '../../src/reports/svg.js';

const weeks = (n: number) =>
  Array.from({ length: n }, (_, i) => new Date(Date.UTC(2025, 0, 6 + 7 * i)).toISOString().slice(0, 10));

describe('xmrSvg', () => {
  it('draws every point, the mean and limits, and colours special causes by kind', () => {
    // Eleven alternating points then one far above: outside the upper limit; items_raised has no good direction.
    const values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 30];
    const chart = spcChart(
      'items_raised',
      weeks(values.length).map((period, i) => ({ period, value: values[i]! })),
    );
    expect(chart.points.at(-1)?.special).toEqual({ rule: 'outside_limits', kind: 'neutral' });
    expect(chart.trial).toBe(false);
    const svg = xmrSvg(chart);
    expect(svg.match(/<circle /g)).toHaveLength(12);
    expect(svg).toContain(`class="point neutral"`);
    expect(svg).toContain(`fill="${SPC_COLOURS.neutral}"`);
    expect(svg.match(/class="process-limit"/g)).toHaveLength(2);
    expect(svg).toContain('class="mean"');
    expect(svg).toContain('Limits from all points.');
    expect(svg).not.toContain('(trial)');
  });

  it('labels trial limits and marks improvement and concern by the measure direction', () => {
    // Days to resolution (lower is better): a run of 7 below the mean is an improvement.
    const values = [20, 22, 21, 23, 20, 22, 5, 5, 5, 5, 5, 5, 5].slice(0, 11);
    const down = spcChart(
      'days_to_resolution',
      weeks(values.length).map((period, i) => ({ period, value: values[i]! })),
    );
    expect(down.trial).toBe(true);
    const svg = xmrSvg(down);
    expect(svg).toContain('UPL (trial)');
    expect(svg).toContain('Trial limits: fewer than 12 points.');
    const kinds = new Set(down.points.flatMap((p) => (p.special ? [p.special.kind] : [])));
    for (const kind of kinds) expect(svg).toContain(`class="point ${kind}"`);
    expect(kinds.has('concern') || kinds.has('improvement')).toBe(true);
  });

  it('draws a target line and shares as percentages', () => {
    const chart = spcChart(
      'ack_within_deadline',
      weeks(3).map((period, i) => ({ period, value: [0.5, 0, 1][i]! })),
      0.9,
    );
    const svg = xmrSvg(chart);
    expect(svg).toContain('class="target"');
    expect(svg).toContain('Target 90.0%');
    expect(svg).toContain('Mean 50.0%');
    expect(chart.assurance).toBe('hit_and_miss');
  });

  it('says so when there is nothing to draw, and escapes every text', () => {
    const empty = xmrSvg(spcChart('items_raised', []));
    expect(empty).toContain('No complete weeks with data');
    const bars = barsSvg('<script>alert(1)</script>', [
      { label: 'W1 "<b>"&', value: 0.5 },
      { label: 'W2', value: null },
    ]);
    expect(bars).not.toContain('<script>');
    expect(bars).not.toContain('<b>');
    expect(bars).toContain('&lt;script&gt;');
    expect(bars).toContain('W1 &quot;&lt;b&gt;&quot;&amp;');
    expect(bars).toContain('50.0%');
    expect(bars).toContain('—');
  });
});
