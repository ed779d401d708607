import type { Database, Executor } from './client.js';
import { executorFor } from './request-transaction.js';

/**
 * A query prepared once per connection handle. Its SQL is built once (not on every call), and
 * PostgreSQL parses and plans it once per connection (a named statement). For the statements
 * every request runs: token lookup, Idempotency-Key claim and completion, the ward's settings.
 *
 * Given a transaction-aware handle inside a request's transaction, the query runs in that
 * transaction: it is kept per pooled connection (a prepared query is bound to the client it
 * was built on), so a pool of ten builds it at most ten times more.
 */
export function preparedPer<Q>(prepare: (db: Database) => Q): (db: Executor) => Q {
  const prepared = new WeakMap<object, Q>();
  return (db) => {
    const executor = executorFor(db);
    const connection = connectionOf(executor);
    let query = prepared.get(connection);
    if (query === undefined) {
      query = prepare(executor);
      prepared.set(connection, query);
    }
    return query;
  };
}

/**
 * What a prepared query is bound to: the driver client of the handle's session (the pool for
 * the database, one pooled connection for a transaction on node-postgres).
 */
function connectionOf(executor: Executor): object {
  const { session } = executor as unknown as { session: { client?: object } };
  return session.client ?? session;
}
