/**
 * The upgrade that dates items fixed at a briefing to the briefing's day: a database at the
 * migration before it, holding a briefing recorded on its day and one typed in weeks later, is
 * migrated to the end. The late briefing's fixed item resolves at the end of its day (UK time);
 * the rest keep their times, and every row is kept.
 */
import { afterAll, expect, inject, it } from 'vitest';
import { databaseBefore, type DatabaseBeforeUpgrade } from '../helpers/upgrade.js';

const adminUrl = inject('databaseAdminUrl');
let database: DatabaseBeforeUpgrade | undefined;
afterAll(() => database?.remove());

it('moves only the resolution of items fixed at briefings recorded after their day', async () => {
  database = await databaseBefore(adminUrl, '_items_fixed_at_briefing_resolved_on_its_day');
  const { pool } = database;
  await pool.query(`
    with org as (insert into organisations (name, code, band_thresholds) values ('Old trust', 'OLD1', '{}') returning id),
    ward as (insert into wards (organisation_id, code, name) select id, 'W1', 'Ward 1' from org returning id, organisation_id),
    token as (insert into api_tokens (kind, organisation_id, ward_id, label, token_hash, expires_at)
              select 'ward_device', organisation_id, id, 'tablet', 'h1', now() + interval '1 year' from ward returning id, organisation_id, ward_id),
    briefing as (insert into briefings (organisation_id, ward_id, date, shift, held, recorded_by_token_id, created_at)
                 select organisation_id, ward_id, d::date, 'day', true, id, r::timestamptz
                   from token, (values ('2025-06-02', '2025-06-20T09:00:00Z'), ('2025-06-23', '2025-06-23T08:30:00Z')) as v(d, r)
                 returning id, organisation_id, ward_id, date, created_at)
    insert into items (organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
                       consequence, likelihood, status, resolved_at_briefing, resolved_at, created_at)
    select organisation_id, ward_id, id, date, p, 'problem', 'equipment', label, 3, 3, status, fixed, resolved, created_at
      from briefing, lateral (values
        (1, 'fixed at the briefing', 'resolved', true, created_at),
        (2, 'fixed by the ward later', 'resolved', false, created_at + interval '1 day'),
        (3, 'still open', 'open', false, null::timestamptz)) as v(p, label, status, fixed, resolved)`);
  await database.upgrade();
  const { rows } = await pool.query<{ raised: string; label: string; resolved: string | null }>(
    `select raised_on::text as raised, description as label, to_char(resolved_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as resolved
       from items order by raised_on, position`,
  );
  expect(rows).toEqual([
    // Typed in on 20 June: fixed at the briefing of 2 June, so resolved by midnight after it (BST).
    { raised: '2025-06-02', label: 'fixed at the briefing', resolved: '2025-06-02T23:00Z' },
    { raised: '2025-06-02', label: 'fixed by the ward later', resolved: '2025-06-21T09:00Z' },
    { raised: '2025-06-02', label: 'still open', resolved: null },
    // Recorded on its day: unchanged.
    { raised: '2025-06-23', label: 'fixed at the briefing', resolved: '2025-06-23T08:30Z' },
    { raised: '2025-06-23', label: 'fixed by the ward later', resolved: '2025-06-24T08:30Z' },
    { raised: '2025-06-23', label: 'still open', resolved: null },
  ]);
});
