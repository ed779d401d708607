import type { SQL } from 'drizzle-orm';
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

/** What runs a built statement under a name (drizzle's session and dialect, which it keeps internal). */
interface NamedRunner {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  session: {
    prepareQuery(
      query: { sql: string; params: unknown[] },
      fields: undefined,
      name: string | undefined,
      isResponseInArrayMode: false,
    ): { execute(): Promise<unknown> };
  };
}

/** Statement names by text: a name never stands for two texts (a connection keeps its statements by name). */
const namesByText = new Map<string, string>();
/** Beyond this many texts, statements run unnamed: the texts named are of a few forms each, this bounds a mistake. */
const MOST_NAMED_TEXTS = 200;

/**
 * The rows of a raw statement run as a named statement, so each connection parses and plans its
 * text once however often it runs. For statements built per call whose text takes a few forms
 * (the capture's combined INSERT, repeat detection); a prepared query needs one fixed text.
 */
export async function namedRows<T>(db: Executor, query: SQL): Promise<T[]> {
  const executor = executorFor(db) as unknown as NamedRunner;
  const built = executor.dialect.sqlToQuery(query);
  let name = namesByText.get(built.sql);
  if (name === undefined && namesByText.size < MOST_NAMED_TEXTS) {
    name = `text_${namesByText.size + 1}`;
    namesByText.set(built.sql, name);
  }
  // drizzle's own execute(), with a name: its type parsers and errors, on the handle's connection.
  const result = await executor.session.prepareQuery(built, undefined, name, false).execute();
  return (result as { rows: T[] }).rows;
}
