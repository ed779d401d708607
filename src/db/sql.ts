/** Raw-statement helpers shared by every feature: rows, advisory locks, read-only snapshots. */
import { getTableName, sql, type SQL, type Table } from 'drizzle-orm';
import { alias, type PgTable } from 'drizzle-orm/pg-core';
import type { Database, Executor } from './client.js';

/** Rows of a raw statement, on PostgreSQL and on the embedded PGlite alike. */
export async function rows<T>(db: Executor, query: SQL): Promise<T[]> {
  // drizzle types the result by driver (node-postgres or PGlite); both answer { rows }.
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}

const fromClauses = new WeakMap<Table, SQL>();

/**
 * drizzle's alias() for raw statements: a statement names columns through the schema
 * (`${i.wardId}` renders `"i"."ward_id"`), so renaming one fails the type-check.
 */
export function statementAlias<T extends PgTable, A extends string>(table: T, name: A) {
  const aliased = alias(table, name);
  fromClauses.set(aliased, sql`${table} ${aliased}`);
  return aliased;
}

/** A statementAlias as a FROM or JOIN names it: `"items" "i"`. */
export function tableAs(aliased: Table): SQL {
  const from = fromClauses.get(aliased);
  if (!from) throw new Error(`tableAs(${getTableName(aliased)}): not made by statementAlias`);
  return from;
}

let cursors = 0;

/**
 * Hands a statement's rows to `each` a batch at a time, read through a server-side cursor
 * (DECLARE ... CURSOR, FETCH), so a statement of a hundred thousand rows never has more than
 * `batchSize` of them in memory. SQL cursors live in a transaction: call it inside one (a
 * readSnapshot). Plain SQL, so it works alike on PostgreSQL and on the embedded PGlite.
 */
export async function forEachRow<T>(
  tx: Executor,
  query: SQL,
  each: (row: T) => void,
  batchSize = 2_000,
): Promise<void> {
  const cursor = sql.raw(`rows_${++cursors}`);
  await tx.execute(sql`DECLARE ${cursor} NO SCROLL CURSOR FOR ${query}`);
  for (;;) {
    const batch = await rows<T>(tx, sql`FETCH FORWARD ${sql.raw(String(batchSize))} FROM ${cursor}`);
    for (const row of batch) each(row);
    if (batch.length < batchSize) break;
  }
  await tx.execute(sql`CLOSE ${cursor}`);
}

/**
 * Waits for the transaction-scoped advisory locks named `keys`, in one statement, taken in sorted
 * order so two transactions locking overlapping sets never wait on each other in a circle.
 */
export async function advisoryXactLocks(tx: Executor, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  // unnest yields the array's elements in order, so the locks are taken in that order.
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(key, 0)) from unnest(${sql.param(sorted)}::text[]) as key`,
  );
}

/** Takes the transaction-scoped advisory lock named `key` if no one holds it; false when someone does. */
export async function tryAdvisoryXactLock(tx: Executor, key: string): Promise<boolean> {
  const [row] = await rows<{ locked: boolean }>(
    tx,
    sql`select pg_try_advisory_xact_lock(hashtextextended(${key}, 0)) as locked`,
  );
  return row?.locked === true;
}

/**
 * Runs a report's statements in one READ ONLY, REPEATABLE READ transaction: every figure of a
 * report comes from the same snapshot (so the tables agree with each other even while briefings
 * are being recorded), and nothing a report runs can write. JIT compilation is switched off for
 * it: on these grouped statements PostgreSQL's cost-based JIT decision spends more time
 * compiling (about half a second on a year of 40 wards) than the statements take to run. A
 * larger work_mem keeps their sorts (tens of thousands of rows) in memory instead of on disk.
 * Statements read through a cursor (forEachRow) are all read to the end, so they are planned for
 * the whole result (cursor_tuple_fraction 1) exactly as they would be without one.
 */
export function readSnapshot<T>(db: Database, work: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      await tx.execute(sql`SET LOCAL jit = off`);
      await tx.execute(sql`SET LOCAL work_mem = '64MB'`);
      await tx.execute(sql`SET LOCAL cursor_tuple_fraction = 1`);
      return work(tx);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
