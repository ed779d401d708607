/** Time-to-event observations as the survival models take them, checked once. */

export interface TimeToEvent {
  /** Time to the event, or to the end of follow-up when censored. */
  time: number;
  /** true: the event (e.g. resolution) happened at `time`; false: censored then. */
  event: boolean;
}

export function validateTimes(observations: readonly TimeToEvent[]): void {
  for (const { time } of observations) {
    if (!Number.isFinite(time) || time < 0) throw new RangeError(`time must be finite and non-negative, got ${time}`);
  }
}

/**
 * Indexes grouped by distinct time, latest first: walking them in this order grows the risk set
 * (everyone whose time is at or after the current one) one tied block at a time.
 */
export function tiedBlocksLatestFirst(observations: readonly TimeToEvent[]): number[][] {
  const order = observations
    .map((_, i) => i)
    .sort((i, j) => (observations[j]?.time as number) - (observations[i]?.time as number));
  const blocks: number[][] = [];
  for (const i of order) {
    const last = blocks.at(-1);
    if (last !== undefined && observations[last[0] as number]?.time === observations[i]?.time) last.push(i);
    else blocks.push([i]);
  }
  return blocks;
}
