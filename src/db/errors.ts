/**
 * An error and the errors it wraps, outermost first: drizzle wraps the driver's error, which can
 * wrap a socket's. At most `maxDepth` of them, so a cycle of causes cannot loop.
 */
export function* causeChain(error: unknown, maxDepth = 5): Generator<Record<string, unknown>> {
  let current = error;
  for (let depth = 0; current && typeof current === 'object' && depth < maxDepth; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Whether this value looks like a PostgreSQL SQLSTATE (five digits or capitals). */
export const isSqlState = (code: unknown): code is string => typeof code === 'string' && SQLSTATE.test(code);

/** PostgreSQL SQLSTATE of an error from pg or PGlite, looking through drizzle's wrapping. */
export function sqlState(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    if (isSqlState(link.code)) return link.code;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => sqlState(error) === '23505';
export const isForeignKeyViolation = (error: unknown) => sqlState(error) === '23503';

/**
 * Whether PostgreSQL ended the transaction because it met another at the same moment (a deadlock,
 * or a serialisation failure): nothing it did was kept, and the same request sent again can succeed.
 */
export const isLostToConcurrentChange = (error: unknown) => {
  const state = sqlState(error);
  return state === '40P01' || state === '40001';
};

/** The name of the violated constraint, when the driver reports it. */
export function constraintOf(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    if (typeof link.constraint === 'string') return link.constraint;
  }
  return undefined;
}

/** PostgreSQL error classes that mean "the database is unreachable right now", not a bug. */
const UNAVAILABLE_DB_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '53300']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Cannot use a pool after calling end/i;

/** Whether the error means the database cannot be reached (answered 503), rather than a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const link of causeChain(error)) {
    const code = link.code;
    if (typeof code === 'string' && (UNAVAILABLE_DB_CODES.has(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
    if (typeof link.message === 'string' && UNAVAILABLE_MESSAGES.test(link.message)) return true;
  }
  return false;
}
