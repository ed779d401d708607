/**
 * The upgrade that gives managers' barriers the reference list's codes: a database at the
 * migration before it, holding positions with the old codes, is migrated to the end; every
 * position says the same under the new codes (`it_systems`, `other_department`,
 * `policy_regulation`), the codes that did not change stay, and no row is lost.
 */
import { afterAll, expect, inject, it } from 'vitest';
import { databaseBefore, type DatabaseBeforeUpgrade } from '../helpers/upgrade.js';

const adminUrl = inject('databaseAdminUrl');
let database: DatabaseBeforeUpgrade | undefined;
afterAll(() => database?.remove());

it('renames the three codes in positions and escalations, keeping the rest and every row', async () => {
  database = await databaseBefore(adminUrl, '_barriers_as_the_reference_names_them');
  const { pool } = database;
  await pool.query(`
    with org as (insert into organisations (name, code, band_thresholds) values ('Old trust', 'OLD1', '{}') returning id),
    ward as (insert into wards (organisation_id, code, name) select id, 'W1', 'Ward 1' from org returning id, organisation_id),
    manager as (insert into staff (organisation_id, name, email, role)
                select id, 'Old matron', 'matron@example.nhs.uk', 'middle_manager' from org returning id),
    token as (insert into api_tokens (kind, organisation_id, ward_id, label, token_hash, expires_at)
              select 'ward_device', organisation_id, id, 'tablet', 'h1', now() + interval '1 year' from ward returning id),
    briefing as (insert into briefings (organisation_id, ward_id, date, shift, held, recorded_by_token_id)
                 select ward.organisation_id, ward.id, '2026-11-02', 'day', true, token.id from ward, token returning id, organisation_id, ward_id),
    item as (insert into items (organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
                                consequence, likelihood, status)
             select organisation_id, ward_id, id, '2026-11-02', p, 'problem', 'equipment', 'Scanner ' || p, 4, 3, 'open'
               from briefing, generate_series(1, 3) as p returning id, organisation_id, ward_id, position),
    escalation as (insert into escalations (organisation_id, ward_id, item_id, trigger, band, chain, state, level,
                                            assignee_staff_id, due_at, stance, stance_barriers)
                   select item.organisation_id, item.ward_id, item.id, 'automatic', 'high', '{}', 'acknowledged', 0, manager.id,
                          now(), 'disagree', v.barriers
                     from item, manager, (values (1, array['it', 'funding']), (2, array['another_department', 'policy_or_regulation']),
                                                 (3, array[]::text[])) as v(p, barriers)
                    where item.position = v.p returning item_id, stance_barriers)
    insert into position_changes (organisation_id, item_id, side, stance, barriers, alignment_after)
    select organisation_id, item.id, 'managerial', 'disagree', escalation.stance_barriers, 'disputed'
      from item join escalation on escalation.item_id = item.id
    union all
    select organisation_id, id, 'clinical', null, null, 'pending' from item where position = 1`);
  await database.upgrade();
  const escalations = await pool.query<{ description: string; barriers: string[] }>(
    `select i.description, e.stance_barriers as barriers from escalations e join items i on i.id = e.item_id order by i.position`,
  );
  expect(escalations.rows).toEqual([
    { description: 'Scanner 1', barriers: ['it_systems', 'funding'] },
    { description: 'Scanner 2', barriers: ['other_department', 'policy_regulation'] },
    { description: 'Scanner 3', barriers: [] },
  ]);
  const positions = await pool.query<{ description: string; side: string; barriers: string[] | null }>(
    `select i.description, p.side, p.barriers from position_changes p join items i on i.id = p.item_id
      order by i.position, p.side`,
  );
  expect(positions.rows).toEqual([
    { description: 'Scanner 1', side: 'clinical', barriers: null },
    { description: 'Scanner 1', side: 'managerial', barriers: ['it_systems', 'funding'] },
    { description: 'Scanner 2', side: 'managerial', barriers: ['other_department', 'policy_regulation'] },
    { description: 'Scanner 3', side: 'managerial', barriers: [] },
  ]);
});
