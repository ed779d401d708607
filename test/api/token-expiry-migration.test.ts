/**
 * The upgrade that gives tokens an expiry keeps every existing token working: a database at the
 * migration before it, with tokens of every kind, is migrated to the end, and each token gets
 * the default lifetime of its kind from the time of the upgrade (the configured bootstrap token
 * none, since it lives as long as it is configured).
 */
import { afterAll, expect, inject, it } from 'vitest';
import { databaseBefore, type DatabaseBeforeUpgrade } from '../helpers/upgrade.js';

const adminUrl = inject('databaseAdminUrl');
let database: DatabaseBeforeUpgrade | undefined;
afterAll(() => database?.remove());

it('gives existing tokens the default lifetime of their kind, and the configured bootstrap token none', async () => {
  database = await databaseBefore(adminUrl, '_oidc_and_token_lifetimes');
  const { pool } = database;
  await pool.query(`
    with org as (insert into organisations (name, code, band_thresholds) values ('Old trust', 'OLD1', '{}') returning id),
    ward as (insert into wards (organisation_id, code, name) select id, 'W1', 'Ward 1' from org returning id, organisation_id),
    person as (insert into staff (organisation_id, name, email, role) select id, 'Old nurse', 'old@example.nhs.uk', 'clinician' from org returning id, organisation_id)
    insert into api_tokens (kind, organisation_id, staff_id, ward_id, label, token_hash)
    select 'staff', organisation_id, id, null, 'staff', 'h1' from person
    union all select 'ward_device', organisation_id, null, id, 'device', 'h2' from ward
    union all select 'platform_admin', null, null, null, 'bootstrap (BOOTSTRAP_ADMIN_TOKEN)', 'h3'
    union all select 'platform_admin', null, null, null, 'generated at first start', 'h4'`);
  await database.upgrade();
  const { rows } = await pool.query<{ label: string; days: number | null; last_used_at: Date | null }>(
    `select label, round(extract(epoch from expires_at - now()) / 86400)::int as days, last_used_at
       from api_tokens order by token_hash`,
  );
  expect(rows).toEqual([
    { label: 'staff', days: 90, last_used_at: null },
    { label: 'device', days: 365, last_used_at: null },
    { label: 'bootstrap (BOOTSTRAP_ADMIN_TOKEN)', days: null, last_used_at: null },
    { label: 'generated at first start', days: 30, last_used_at: null },
  ]);
});
