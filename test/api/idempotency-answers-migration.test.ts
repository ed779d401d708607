/**
 * The upgrade that stores Idempotency-Key answers with lz4 keeps every answer stored before it:
 * a database at the migration before it, holding an answer, is migrated to the end; that answer
 * reads back unchanged (still pglz), and answers stored after the upgrade are lz4.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/db/client.js';
import { asAdmin, dropDatabase, withDatabase } from '../helpers/postgres-admin.js';

const adminUrl = inject('databaseAdminUrl');
const name = `idempotency_lz4_${randomBytes(4).toString('hex')}`;
const before = mkdtempSync(path.join(tmpdir(), 'migrations-'));
afterAll(async () => {
  rmSync(before, { recursive: true, force: true });
  await dropDatabase(adminUrl, name);
});

/** A briefing's answer as the service stores it: some kilobytes of JSON, well past the size PostgreSQL compresses. */
const answer = (label: string) =>
  JSON.stringify({
    id: label,
    items: Array.from({ length: 5 }, (_, i) => ({
      id: `${label}-${i}`,
      description: 'Only one working bladder scanner on the ward for the whole shift',
      riskBand: 'high',
      escalation: { status: 'awaiting_acknowledgement', assignee: { name: 'Matron, Medicine' } },
      recurrence: { timesRaised: 1, firstRaisedOn: '2026-12-01', daysOpen: 0 },
      createdAt: new Date(Date.UTC(2026, 11, 1, 7, i)).toISOString(),
    })),
  }).repeat(4);

it('keeps answers stored before it as they were, and stores later ones with lz4', async () => {
  cpSync(MIGRATIONS_FOLDER, before, { recursive: true });
  const journalPath = path.join(before, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const upgrade = journal.entries.findIndex((entry) => entry.tag.endsWith('_idempotency_answers_lz4'));
  expect(upgrade).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, upgrade) }));

  await asAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 1 });
  const store = (key: string, body: string) =>
    pool.query(
      `insert into idempotency_keys (token_id, key, request_hash, state, response_status, response_body, locked_until)
       select id, $1, 'fingerprint', 'completed', 201, $2, now() from api_tokens`,
      [key, body],
    );
  const stored = async () =>
    (
      await pool.query<{ key: string; body: string; compression: string }>(
        `select key, response_body as body, pg_column_compression(response_body) as compression
           from idempotency_keys order by key`,
      )
    ).rows;
  try {
    await migrate(drizzle(pool), { migrationsFolder: before });
    await pool.query(
      `insert into api_tokens (kind, label, token_hash, expires_at) values ('platform_admin', 'admin', 'h1', now() + interval '1 day')`,
    );
    await store('a-before', answer('before'));
    expect((await stored()).map((row) => row.compression)).toEqual(['pglz']);

    await migrate(drizzle(pool), { migrationsFolder: MIGRATIONS_FOLDER });
    await store('b-after', answer('after'));
    expect(await stored()).toEqual([
      { key: 'a-before', body: answer('before'), compression: 'pglz' },
      { key: 'b-after', body: answer('after'), compression: 'lz4' },
    ]);
  } finally {
    await pool.end();
  }
});
