import { getTableColumns, getTableName, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './client.js';
import { namedRows } from './prepared.js';

/**
 * Sends several INSERTs as one statement (data-modifying CTEs): one round trip instead of one
 * per table. Foreign keys between the rows hold, because PostgreSQL checks them at the end of
 * the statement; a constraint violation fails the whole statement as it would a single insert.
 * Named: its text takes a few forms (which tables get rows), each parsed and planned once.
 */
export async function insertTogether(tx: Executor, inserts: SQLWrapper[]) {
  if (inserts.length === 0) return;
  // getSQL(): the statement itself, not wrapped in parentheses as an embedded subquery would be.
  const statements = inserts.map((insert) => insert.getSQL());
  const last = statements[statements.length - 1]!;
  const before = statements.slice(0, -1).map((insert, i) => sql`${sql.raw(`"insert_${i}" as (`)}${insert})`);
  await namedRows(tx, before.length ? sql`with ${sql.join(before, sql.raw(', '))} ${last}` : last);
}

/** A rowsInsert's column names and its text around its one parameter. */
interface InsertShape {
  columns: string[];
  before: SQL;
  after: SQL;
}

/** Shapes by table and the properties given (and whether conflicts are skipped): each is built once. */
const insertShapes = new WeakMap<PgTable, Map<string, InsertShape>>();

function insertShape(table: PgTable, keys: string[], onConflictDoNothing: boolean): InsertShape {
  let byKeys = insertShapes.get(table);
  if (!byKeys) insertShapes.set(table, (byKeys = new Map<string, InsertShape>()));
  const id = `${keys.join(',')}${onConflictDoNothing ? '!' : ''}`;
  let shape = byKeys.get(id);
  if (!shape) {
    const byProperty = getTableColumns(table);
    const columns = keys.map((key) => byProperty[key]?.name ?? unknownColumn(table, key));
    const list = columns.map((column) => `"${column}"`).join(', ');
    const name = `"${getTableName(table)}"`;
    shape = {
      columns,
      before: sql.raw(`insert into ${name} (${list}) select ${list} from json_populate_recordset(null::${name}, `),
      after: sql.raw(`::json)${onConflictDoNothing ? ' on conflict do nothing' : ''}`),
    };
    byKeys.set(id, shape);
  }
  return shape;
}

/**
 * An INSERT of `rows` into `table` whose values travel as one JSON parameter, expanded by
 * PostgreSQL (json_populate_recordset against the table's own row type). Its text depends only
 * on the table and the properties given, and is built once for each; the per-row work is
 * JSON.stringify, where a VALUES list would be a parameter per cell.
 * Every row must give the same properties; a column left out takes its default.
 */
export function rowsInsert<T extends PgTable>(
  table: T,
  rows: Partial<T['$inferInsert']>[],
  { onConflictDoNothing = false } = {},
): SQL {
  if (rows.length === 0) throw new Error(`rowsInsert(${getTableName(table)}): no rows`);
  const keys = Object.keys(rows[0]!).filter((key) => (rows[0] as Record<string, unknown>)[key] !== undefined);
  const { columns, before, after } = insertShape(table, keys, onConflictDoNothing);
  const differentProperties = () =>
    new Error(`rowsInsert(${getTableName(table)}): every row must give the same properties`);
  // Plain loops: this runs for every row a briefing writes (about 35), on the capture path.
  const record: Record<string, unknown>[] = rows.map((row) => {
    const values = row as Record<string, unknown>;
    let given = 0;
    for (const key in values) if (values[key] !== undefined) given++;
    if (given !== keys.length) throw differentProperties();
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const value = values[keys[i]!];
      if (value === undefined) throw differentProperties();
      // A Date as its ISO text, as JSON.stringify would write it: JSON.stringify calling toJSON
      // itself is about twice as slow for the capture's rows.
      out[columns[i]!] = value instanceof Date ? value.toISOString() : value;
    }
    return out;
  });
  return sql`${before}${JSON.stringify(record)}${after}`;
}

function unknownColumn(table: PgTable, key: string): never {
  throw new Error(`rowsInsert(${getTableName(table)}): no column for property ${key}`);
}
