/** Whether a dependency answers within 2 s: what /ready reports for each one it checks. */
export async function probe(check: () => Promise<void>): Promise<'up' | 'down'> {
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 2_000).unref()),
    ]);
    return 'up';
  } catch {
    return 'down';
  }
}
