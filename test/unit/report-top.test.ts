import { describe, expect, it } from 'vitest';
import { topN } from '../../src/reports/top.js';

describe('topN', () => {
  it('keeps the first n in order, like sorting everything and slicing', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 263);
    const compare = (a: number, b: number) => b - a;
    for (const n of [0, 1, 3, 10, 263, 600]) {
      expect(topN(values, n, compare)).toEqual([...values].sort(compare).slice(0, n));
    }
  });

  it('works on any iterable and keeps earlier items first on ties', () => {
    function* items() {
      yield { k: 1, id: 'a' };
      yield { k: 2, id: 'b' };
      yield { k: 1, id: 'c' };
      yield { k: 2, id: 'd' };
    }
    expect(topN(items(), 3, (a, b) => b.k - a.k).map((x) => x.id)).toEqual(['b', 'd', 'a']);
  });
});

describe('medianOf', () => {
  it('agrees with the domain median on odd, even, empty and unsorted input', async () => {
    const { medianOf } = await import('../../src/reports/governance.js');
    const { median } = await import('../../src/domain/statistics.js');
    const cases = [
      [],
      [3],
      [4, 1],
      [0.5, 1, 1, 1.5, 2, 6],
      [10, 1 / 24, 3, 4, 1],
      Array.from({ length: 1001 }, (_, i) => ((i * 7919) % 101) / 7),
    ];
    for (const values of cases) expect(medianOf(values)).toBe(median(values));
    const input = [3, 1, 2];
    medianOf(input);
    expect(input).toEqual([3, 1, 2]);
  });
});
