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

/** Column names by property name, per table. */
const columnNames = new WeakMap<PgTable, Map<string, string>>();

function columnsOf(table: PgTable) {
  let names = columnNames.get(table);
  if (!names) {
    names = new Map(Object.entries(getTableColumns(table)).map(([key, column]) => [key, column.name]));
    columnNames.set(table, names);
  }
  return names;
}

/** The text of a rowsInsert around its one parameter, by table and the properties given. */
const insertTexts = new WeakMap<PgTable, Map<string, { before: SQL; after: SQL }>>();

function insertText(table: PgTable, keys: string[], onConflictDoNothing: boolean) {
  let byShape = insertTexts.get(table);
  if (!byShape) insertTexts.set(table, (byShape = new Map<string, { before: SQL; after: SQL }>()));
  const shape = `${keys.join(',')}${onConflictDoNothing ? '!' : ''}`;
  let text = byShape.get(shape);
  if (!text) {
    const names = columnsOf(table);
    const columns = keys.map((key) => `"${names.get(key) ?? unknownColumn(table, key)}"`).join(', ');
    const name = `"${getTableName(table)}"`;
    text = {
      before: sql.raw(
        `insert into ${name} (${columns}) select ${columns} from json_populate_recordset(null::${name}, `,
      ),
      after: sql.raw(`::json)${onConflictDoNothing ? ' on conflict do nothing' : ''}`),
    };
    byShape.set(shape, text);
  }
  return text;
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
  const names = columnsOf(table);
  const keys = Object.keys(rows[0]!).filter((key) => (rows[0] as Record<string, unknown>)[key] !== undefined);
  const columnOf = keys.map((key) => names.get(key) ?? unknownColumn(table, key));
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
      out[columnOf[i]!] = value instanceof Date ? value.toISOString() : value;
    }
    return out;
  });
  const { before, after } = insertText(table, keys, onConflictDoNothing);
  return sql`${before}${JSON.stringify(record)}${after}`;
}

function unknownColumn(table: PgTable, key: string): never {
  throw new Error(`rowsInsert(${getTableName(table)}): no column for property ${key}`);
}
