import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from './client.js';

/**
 * Sends several INSERTs as one statement (data-modifying CTEs): one round trip instead of one
 * per table. Foreign keys between the rows hold, because PostgreSQL checks them at the end of
 * the statement; a constraint violation fails the whole statement as it would a single insert.
 */
export async function insertTogether(tx: Executor, inserts: SQLWrapper[]) {
  if (inserts.length === 0) return;
  // getSQL(): the statement itself, not wrapped in parentheses as an embedded subquery would be.
  const statements = inserts.map((insert) => insert.getSQL());
  const last = statements[statements.length - 1]!;
  const before = statements.slice(0, -1).map((insert, i) => sql`${sql.identifier(`insert_${i}`)} as (${insert})`);
  await tx.execute(before.length ? sql`with ${sql.join(before, sql`, `)} ${last}` : sql`${last}`);
}
