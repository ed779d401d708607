import { causeChain, isSqlState } from '../db/errors.js';

/** Database error fields that name where the failure happened, never the data involved. */
const DATABASE_ERROR_FIELDS = ['code', 'severity', 'constraint', 'table', 'column', 'schema', 'routine'] as const;

/**
 * What of an unexpected error may be logged. Free text must never reach the logs, but a failed
 * query's message, stack and `params` carry the values sent (descriptions, notes), and a
 * PostgreSQL error's `detail` repeats the row. So: each error in the cause chain with its type,
 * SQLSTATE and constraint, the SQL with placeholders only, and stack frames without messages.
 */
export function loggableError(error: unknown) {
  const chain = [...causeChain(error)].map(loggableLink);
  return chain.length === 1 ? chain[0] : { ...chain[0], causes: chain.slice(1) };
}

function loggableLink(e: Record<string, unknown>): Record<string, unknown> {
  const isQueryError = typeof e.query === 'string' && 'params' in e;
  const isDatabaseError = isSqlState(e.code) && 'severity' in e;
  // Not `type`: pino's error serializer overwrites that with the constructor of this plain object.
  const entry: Record<string, unknown> = { errorType: (e as unknown as Error).constructor?.name ?? typeof e };
  if (isQueryError) {
    entry.message = 'Failed query (parameters withheld)';
    entry.query = e.query;
  } else if (typeof e.message === 'string') {
    // PostgreSQL messages can quote the offending values (and a RAISE can say anything):
    // the code, constraint and table below identify the failure without them.
    entry.message = isDatabaseError ? `database error ${String(e.code)}` : e.message;
  }
  for (const field of DATABASE_ERROR_FIELDS) {
    if (typeof e[field] === 'string') entry[field] = e[field];
  }
  if (typeof e.stack === 'string') {
    entry.stack = e.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
  }
  return entry;
}
