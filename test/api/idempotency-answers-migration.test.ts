/**
 * The upgrade that stores Idempotency-Key answers with lz4 keeps every answer stored before it:
 * a database at the migration before it, holding an answer, is migrated to the end; that answer
 * reads back unchanged (still pglz), and answers stored after the upgrade are lz4.
 */
import { afterAll, expect, inject, it } from 'vitest';
import { databaseBefore, type DatabaseBeforeUpgrade } from '../helpers/upgrade.js';

const adminUrl = inject('databaseAdminUrl');
let database: DatabaseBeforeUpgrade | undefined;
afterAll(() => database?.remove());

/** A briefing's answer as the service stores it: some kilobytes of JSON, well past the size PostgreSQL compresses. */
const answer = (label: string) =>
  JSON.stringify({
    id: label,
    items: Array.from({ length: 20 }, (_, i) => ({
      id: `${label}-${i}`,
      description: 'Only one working bladder scanner on the ward for the whole shift',
      riskBand: 'high',
      escalation: { status: 'awaiting_acknowledgement', assignee: { name: 'Matron, Medicine' } },
      recurrence: { timesRaised: 1, firstRaisedOn: '2026-12-01', daysOpen: 0 },
      createdAt: new Date(Date.UTC(2026, 11, 1, 7, i)).toISOString(),
    })),
  });

it('keeps answers stored before it as they were, and stores later ones with lz4', async () => {
  database = await databaseBefore(adminUrl, '_idempotency_answers_lz4');
  const { pool } = database;
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
  await pool.query(
    `insert into api_tokens (kind, label, token_hash, expires_at) values ('platform_admin', 'admin', 'h1', now() + interval '1 day')`,
  );
  await store('a-before', answer('before'));
  expect((await stored()).map((row) => row.compression)).toEqual(['pglz']);

  await database.upgrade();
  await store('b-after', answer('after'));
  expect(await stored()).toEqual([
    { key: 'a-before', body: answer('before'), compression: 'pglz' },
    { key: 'b-after', body: answer('after'), compression: 'lz4' },
  ]);
});
