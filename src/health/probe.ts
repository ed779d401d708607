/** Whether a dependency answers within 2 s: what /ready reports for each one it checks. */
export async function probe(check: () => Promise<void>): Promise<'up' | 'down'> {
  try {
    await withTimeout(check());
    return 'up';
  } catch {
    return 'down';
  }
}

/** The work's result, or a rejection once `ms` have passed without one. */
export function withTimeout<T>(work: Promise<T>, ms = 2_000): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);
}
