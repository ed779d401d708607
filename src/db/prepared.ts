import type { Database } from './client.js';

/**
 * A query prepared once per database handle. Its SQL is built once (not on every call), and
 * PostgreSQL parses and plans it once per connection (a named statement). For the statements
 * every request runs: token lookup, Idempotency-Key claim and completion, the ward's settings.
 */
export function preparedPer<Q>(prepare: (db: Database) => Q): (db: Database) => Q {
  const prepared = new WeakMap<Database, Q>();
  return (db) => {
    let query = prepared.get(db);
    if (query === undefined) {
      query = prepare(db);
      prepared.set(db, query);
    }
    return query;
  };
}
