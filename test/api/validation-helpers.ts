/** What validation.test.ts and request-bodies.test.ts both send and read. */

/** A valid risk item; `overrides` change or add fields. */
export const item = (overrides: Record<string, unknown> = {}) => ({
  kind: 'risk',
  category: 'staffing',
  description: 'One registered nurse short on nights',
  consequence: 3,
  likelihood: 3,
  ...overrides,
});

/** The paths of a problem document's failing fields. */
export const paths = (problem: { errors?: { path: string }[] }) => (problem.errors ?? []).map((e) => e.path);
