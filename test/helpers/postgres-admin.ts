/**
 * Whole databases, made and dropped through the PostgreSQL admin connection: the tests' migrated
 * template and its per-file clones, and the bench's throw-away database. Shared by `test/` and
 * `bench/` (it imports nothing from vitest).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { MIGRATIONS_FOLDER } from '../../src/db/client.js';

/** The same server and credentials as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` on a fresh connection to the admin database, closed afterwards. */
export async function asAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the database and applies the service's migrations to it (drizzle migrator); returns its URL. */
export async function createMigratedDatabase(adminUrl: string, name: string): Promise<string> {
  await asAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(drizzle(pool), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await pool.end();
  }
  return url;
}

/** A copy of `template` (which nobody may be connected to) under a new name; returns its URL. */
export async function cloneDatabase(adminUrl: string, template: string, name: string): Promise<string> {
  await asAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return withDatabase(adminUrl, name);
}

/** Drops the database, closing whatever connections it still has. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await asAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
