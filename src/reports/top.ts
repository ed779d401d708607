/**
 * The first `n` of what it is offered in `compare` order, without sorting them all: a bounded,
 * sorted buffer with binary insertion (n log n per kept item), so ranking tens of thousands of
 * open threads to show ten costs one pass and holds ten. Items can be offered one at a time as
 * they are read. Pure. Ties keep the order of `compare` only.
 */
export class TopN<T> {
  private readonly kept: T[] = [];

  constructor(
    private readonly n: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  offer(item: T): void {
    const { kept, n, compare } = this;
    if (n <= 0) return;
    if (kept.length === n && compare(item, kept[n - 1]!) >= 0) return;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(item, kept[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    kept.splice(lo, 0, item);
    if (kept.length > n) kept.pop();
  }

  /** The kept items, first first. */
  items(): T[] {
    return [...this.kept];
  }
}

/** The first `n` of `items` in `compare` order (see TopN). */
export function topN<T>(items: Iterable<T>, n: number, compare: (a: T, b: T) => number): T[] {
  const top = new TopN(n, compare);
  for (const item of items) top.offer(item);
  return top.items();
}
