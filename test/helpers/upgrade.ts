/**
 * A database as an upgrade finds it: migrated up to just before one migration, for a test to
 * fill with the rows a trust already holds, then migrated to the end as the service does at start.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { MIGRATIONS_FOLDER } from '../../src/db/client.js';
import { asAdmin, dropDatabase, withDatabase } from './postgres-admin.js';

export interface DatabaseBeforeUpgrade {
  /** One connection to the database. */
  pool: pg.Pool;
  /** Applies the rest of the migrations, the upgrade first. */
  upgrade(): Promise<void>;
  /** Closes the connection, drops the database and the copied migrations. */
  remove(): Promise<void>;
}

/** A new database migrated up to the migration whose tag ends with `tagSuffix`, not including it. */
export async function databaseBefore(adminUrl: string, tagSuffix: string): Promise<DatabaseBeforeUpgrade> {
  const folder = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = path.join(folder, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const upgrade = journal.entries.findIndex((entry) => entry.tag.endsWith(tagSuffix));
  if (upgrade < 1) throw new Error(`no migration after the first ends with ${tagSuffix}`);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upgrade) }));

  const name = `upgrade${tagSuffix}_${randomBytes(4).toString('hex')}`;
  await asAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 1 });
  await migrate(drizzle(pool), { migrationsFolder: folder });
  return {
    pool,
    upgrade: () => migrate(drizzle(pool), { migrationsFolder: MIGRATIONS_FOLDER }),
    async remove() {
      await pool.end();
      rmSync(folder, { recursive: true, force: true });
      await dropDatabase(adminUrl, name);
    },
  };
}
