/**
 * Chart scales that read as people count: axis ticks at round numbers (1, 2 or 5 times a power
 * of ten), and the range a measure can take (no count or share below 0, no share above 1).
 * Pure, no I/O.
 */

/** The smallest and largest values a measure can take; `null` where it has no bound. */
export interface MeasureBounds {
  min: number | null;
  max: number | null;
}

/** Counts, days and shares cannot be negative; a share cannot pass 1 (100%). */
export function measureBounds(unit: string): MeasureBounds {
  return { min: 0, max: unit === 'share' ? 1 : null };
}

/** `value` brought inside the bounds; null stays null. */
export function clampToBounds(value: number | null, bounds: MeasureBounds): number | null {
  if (value === null) return null;
  let v = value;
  if (bounds.min !== null && v < bounds.min) v = bounds.min;
  if (bounds.max !== null && v > bounds.max) v = bounds.max;
  return v;
}

/** The round step (1, 2 or 5 x 10^n) giving at most `maxTicks` intervals over `span`. */
export function niceStep(span: number, maxTicks = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw - 1e-12 * power) return m * power;
  }
  return 10 * power;
}

/** Decimal places a step needs to be written exactly: 0.05 needs 2, 20 needs 0. */
export function stepDecimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/**
 * An axis over [lo, hi] widened to whole round steps: its ends and every tick between them,
 * each rounded to the step's decimals so no 0.30000000000000004 is drawn.
 */
export function niceAxis(
  lo: number,
  hi: number,
  maxTicks = 5,
): { lo: number; hi: number; step: number; ticks: number[] } {
  const step = niceStep(hi - lo, maxTicks);
  const decimals = stepDecimals(step);
  const fix = (v: number) => Number(v.toFixed(decimals));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(fix(k * step));
  return { lo: fix(first * step), hi: fix(last * step), step, ticks };
}
