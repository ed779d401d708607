import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Logger } from 'pino';
import { redactIdentifiers } from '../domain/identifiers.js';
import { causeChain, isSqlState } from './errors.js';

/**
 * Without drizzle's relational queries (`db.query.*`, unused): given the schema, drizzle builds a
 * query builder for every table in every transaction it opens, one per request on capture.
 */
type NoSchema = Record<string, never>;
export type Database = PgDatabase<PgQueryResultHKT, NoSchema>;
export type Transaction = PgTransaction<PgQueryResultHKT, NoSchema, ExtractTablesWithRelations<NoSchema>>;
/** Repository functions accept either; the service decides where the transaction begins. */
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'embedded';
  /** The pool's connections now (PostgreSQL only; the embedded database has no pool). */
  poolUse?: () => { total: number; idle: number; waiting: number; max: number };
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  logger: Logger;
  poolSize?: number;
}

/**
 * Opens PostgreSQL (DATABASE_URL) or the embedded PGlite under dataDir, and applies migrations.
 * A migration PostgreSQL refuses is logged with what PostgreSQL said and thrown as a
 * MigrationError; the pool is closed.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const handle = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.logger, options.poolSize)
    : await openEmbedded(options.dataDir);
  try {
    await handle.migrate();
  } catch (error) {
    await handle.close().catch(() => undefined);
    const failure = migrationFailure(error, MIGRATIONS_FOLDER);
    if (!failure) throw error;
    options.logger.fatal(
      { postgres: failure.postgres, migration: failure.migration, statement: failure.statement },
      failure.message,
    );
    throw failure;
  }
  return handle;
}

/**
 * The database reports and exports read (REPORTS_DATABASE_URL): a hot standby of the primary,
 * never migrated (a standby replays the primary's migrations) and never written to. Its own pool,
 * so a long board pack never takes a connection the writes need.
 */
export function openReportsDatabase(connectionString: string, logger: Logger, poolSize = 5): DatabaseHandle {
  // Typed as a DatabaseHandle: nothing can ask it to migrate.
  const handle: DatabaseHandle = openPostgres(connectionString, logger.child({ database: 'reports' }), poolSize);
  return handle;
}

/**
 * Every process migrates at start. drizzle's migrator takes no lock, so processes started
 * together on an empty database collide (both create the `drizzle` schema: duplicate key on
 * pg_namespace). A session-level advisory lock, per database, makes one migrate while the
 * others wait; they then find nothing left to apply.
 */
async function migrateUnderLock(pool: pg.Pool, logger: Logger) {
  const lock = `hashtextextended('ward-safety-briefings:migrations', 0)`;
  const client = await pool.connect();
  // Given back to the pool only when it surely holds no lock; otherwise closed, which frees it.
  let reusable = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${lock}) as locked`);
    if (!rows[0]?.locked) {
      logger.info('another process is migrating this database: waiting for it');
      await client.query(`select pg_advisory_lock(${lock})`);
    }
    try {
      // On this one connection: the lock is its session's, and the migrator's transaction runs here too.
      await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      // A failed unlock must not hide the migration's own error.
      reusable = await client.query(`select pg_advisory_unlock(${lock})`).then(
        () => true,
        () => false,
      );
    }
  } finally {
    client.release(!reusable);
  }
}

/** What PostgreSQL reports about an error (node-postgres' DatabaseError fields). */
export interface PostgresErrorFields {
  message: string;
  code: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** A migration PostgreSQL refused, with what PostgreSQL said, the migration and its statement. */
export class MigrationError extends Error {
  override name = 'MigrationError';
  constructor(
    readonly postgres: PostgresErrorFields,
    /** The migration's tag in the journal (its file name without .sql), when the statement is found there. */
    readonly migration: string | undefined,
    readonly statement: string | undefined,
    options: { cause: unknown },
  ) {
    const said = [
      `${postgres.message} (SQLSTATE ${postgres.code})`,
      postgres.detail && `detail: ${postgres.detail}`,
      postgres.hint && `hint: ${postgres.hint}`,
      postgres.where && `where: ${postgres.where}`,
    ].filter(Boolean);
    const statementLine = statement && `statement: ${statement.trim().replace(/\s+/g, ' ').slice(0, 500)}`;
    const heading = `migration${migration ? ` ${migration}` : ''} failed: ${said.join('; ')}`;
    super([heading, statementLine].filter(Boolean).join('\n'), options);
  }
}

/**
 * The MigrationError for an error thrown while migrating, or null when PostgreSQL did not refuse
 * a statement (the connection failed, say). drizzle wraps the driver's error; the driver's has
 * the SQLSTATE, detail and hint. Identifiers quoted from rows (a detail can quote a key) are
 * redacted, as everywhere in the logs.
 */
export function migrationFailure(error: unknown, migrationsFolder: string): MigrationError | null {
  let database: (PostgresErrorFields & Record<string, unknown>) | undefined;
  let statement: string | undefined;
  for (const candidate of causeChain(error)) {
    if (statement === undefined && typeof candidate.query === 'string') statement = candidate.query;
    if (isSqlState(candidate.code) && typeof candidate.message === 'string') {
      database = candidate as PostgresErrorFields & Record<string, unknown>;
      break;
    }
  }
  if (!database) return null;
  const fields: PostgresErrorFields = { message: redactIdentifiers(database.message), code: database.code };
  for (const key of ['detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'constraint'] as const) {
    const value = database[key];
    if (typeof value === 'string' && value !== '') fields[key] = redactIdentifiers(value);
  }
  return new MigrationError(fields, statement && migrationOf(statement, migrationsFolder), statement, { cause: error });
}

/** The journal tag of the migration file holding that statement. */
function migrationOf(statement: string, migrationsFolder: string): string | undefined {
  try {
    const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
      entries: { tag: string }[];
    };
    return journal.entries.find(({ tag }) =>
      readFileSync(path.join(migrationsFolder, `${tag}.sql`), 'utf8')
        .split('--> statement-breakpoint')
        .includes(statement),
    )?.tag;
  } catch {
    return undefined;
  }
}

function openPostgres(
  connectionString: string,
  logger: Logger,
  poolSize = 10,
): DatabaseHandle & { migrate(): Promise<void> } {
  const pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: 5_000 });
  // Without a listener, a connection killed by the server crashes the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'));
  // A checked-out client whose connection is killed emits 'error' itself; unheard, that ends the
  // process. The query in flight still fails (and the request answers 503).
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error }, 'PostgreSQL connection failed while in use'));
  });
  const db = drizzlePg(pool) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize }),
    migrate: () => migrateUnderLock(pool, logger),
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

async function openEmbedded(dataDir: string): Promise<DatabaseHandle & { migrate(): Promise<void> }> {
  const [{ PGlite }, { pg_trgm }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const directory = path.resolve(dataDir, 'pgdata');
  mkdirSync(directory, { recursive: true });
  const client = await PGlite.create(directory, { extensions: { pg_trgm } });
  const pgliteDb = drizzle(client);
  return {
    db: pgliteDb as unknown as Database,
    kind: 'embedded',
    migrate: () => migrate(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER }),
    ping: async () => {
      await pgliteDb.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}
