/**
 * The upgrade to one escalation per thread groups the open duplicates already in the database
 * without losing history: a database at the migration before it, with one thread of three
 * repeats each holding an open escalation (and an unrelated resolved one), is migrated to the
 * end. The oldest stays open; the others are resolved `merged` into it with an event and an
 * audit entry at a new step; the items, their statuses and the earlier events stay.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { databaseBefore, type DatabaseBeforeUpgrade } from '../helpers/upgrade.js';

const adminUrl = inject('databaseAdminUrl');
let database: DatabaseBeforeUpgrade | undefined;
afterAll(() => database?.remove());

/** Three raisings of one issue (a, b and c repeat a), each with an open escalation, and another issue resolved. */
const OLD_STATE = `
  with org as (insert into organisations (name, code, band_thresholds) values ('Old trust', 'OLD2', '{}') returning id),
  ward as (insert into wards (organisation_id, code, name) select id, 'W1', 'Ward 1' from org returning id, organisation_id),
  manager as (insert into staff (organisation_id, name, email, role)
    select id, 'Old manager', 'old.manager@example.nhs.uk', 'middle_manager' from org returning id),
  device as (insert into api_tokens (kind, organisation_id, ward_id, label, token_hash)
    select 'ward_device', organisation_id, id, 'device', 'h1' from ward returning id),
  briefing as (insert into briefings (organisation_id, ward_id, date, shift, held, recorded_by_token_id)
    select w.organisation_id, w.id, '2026-11-01', 'day', true, d.id from ward w, device d returning id, organisation_id, ward_id),
  raised as (insert into items (id, organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
      consequence, likelihood, risk_score, risk_band, status, thread_id, recurrence_of, created_at)
    select v.id::uuid, b.organisation_id, b.ward_id, b.id, v.raised_on::date, v.position, 'problem', 'equipment', v.description,
      4, 3, 12, 'high', v.status, v.thread_id::uuid, v.thread_id::uuid, v.created_at::timestamptz
    from briefing b, (values
      ('00000000-0000-4000-8000-00000000000a', '2026-10-01', 0, 'Falls risk assessments late', 'open', null, '2026-10-01T08:00:00Z'),
      ('00000000-0000-4000-8000-00000000000b', '2026-10-08', 1, 'Falls risk assessments late again', 'open', '00000000-0000-4000-8000-00000000000a', '2026-10-08T08:00:00Z'),
      ('00000000-0000-4000-8000-00000000000c', '2026-10-15', 2, 'Falls risk assessments still late', 'open', '00000000-0000-4000-8000-00000000000a', '2026-10-15T08:00:00Z'),
      ('00000000-0000-4000-8000-00000000000d', '2026-10-02', 3, 'Sharps bin overfull', 'resolved', null, '2026-10-02T08:00:00Z')
    ) as v(id, raised_on, position, description, status, thread_id, created_at)
    returning id, organisation_id, ward_id, created_at, status),
  escalated as (insert into escalations (id, organisation_id, ward_id, item_id, trigger, band, chain, state, level,
      assignee_staff_id, due_at, next_step_at, step, created_at, resolved_at, outcome)
    select ('00000000-0000-4000-9000-' || right(r.id::text, 12))::uuid, r.organisation_id, r.ward_id, r.id, 'automatic', 'high',
      jsonb_build_object('levels', jsonb_build_array(m.id), 'ackWithinSeconds', 14400, 'repeatEverySeconds', 14400, 'maxRepeats', 3),
      case when r.status = 'open' then 'open' else 'resolved' end, 0, m.id, r.created_at + interval '4 hours',
      case when r.status = 'open' then r.created_at + interval '4 hours' end, 1, r.created_at,
      case when r.status = 'resolved' then r.created_at + interval '1 day' end,
      case when r.status = 'resolved' then 'fixed' end
    from raised r, manager m
    returning id, level, assignee_staff_id)
  insert into escalation_events (escalation_id, type, step, level, assignee_staff_id, details)
  select id, 'started', 1, level, assignee_staff_id, '{}'::jsonb from escalated`;

const id = (suffix: string) => `00000000-0000-4000-9000-00000000000${suffix}`;

describe('grouping open duplicates into one escalation per thread', () => {
  it('keeps the oldest open, merges the others into it with an event and an audit entry, and keeps the items', async () => {
    database = await databaseBefore(adminUrl, '_escalation_threads');
    const { pool } = database;
    await pool.query(OLD_STATE);
    await database.upgrade();

    const { rows } = await pool.query(
      `select id, state, outcome, merged_into_id, thread_id, step, next_step_at is null as no_timer from escalations order by id`,
    );
    const thread = '00000000-0000-4000-8000-00000000000a';
    expect(rows).toEqual([
      {
        id: id('a'),
        state: 'open',
        outcome: null,
        merged_into_id: null,
        thread_id: thread,
        step: 1,
        no_timer: false,
      },
      {
        id: id('b'),
        state: 'resolved',
        outcome: 'merged',
        merged_into_id: id('a'),
        thread_id: thread,
        step: 2,
        no_timer: true,
      },
      {
        id: id('c'),
        state: 'resolved',
        outcome: 'merged',
        merged_into_id: id('a'),
        thread_id: thread,
        step: 2,
        no_timer: true,
      },
      {
        id: id('d'),
        state: 'resolved',
        outcome: 'fixed',
        merged_into_id: null,
        thread_id: '00000000-0000-4000-8000-00000000000d',
        step: 1,
        no_timer: true,
      },
    ]);
    const events = await pool.query(
      `select escalation_id, type, step, details->>'mergedInto' as merged_into from escalation_events order by escalation_id, id`,
    );
    expect(events.rows.map((e) => [e.escalation_id, e.type, e.step, e.merged_into])).toEqual([
      [id('a'), 'started', 1, null],
      [id('b'), 'started', 1, null],
      [id('b'), 'merged', 2, id('a')],
      [id('c'), 'started', 1, null],
      [id('c'), 'merged', 2, id('a')],
      [id('d'), 'started', 1, null],
    ]);
    const audit = await pool.query(
      `select entity_id, action, actor_type from audit_events where entity_type = 'escalation' order by entity_id`,
    );
    expect(audit.rows).toEqual([
      { entity_id: id('b'), action: 'merged', actor_type: 'system' },
      { entity_id: id('c'), action: 'merged', actor_type: 'system' },
    ]);
    const items = await pool.query(
      `select count(*)::int as n, count(*) filter (where status = 'open')::int as open from items`,
    );
    expect(items.rows[0]).toEqual({ n: 4, open: 3 });
    // From now on the database holds one open escalation per thread.
    await expect(
      pool.query(`update escalations set state = 'open', outcome = null where id = $1`, [id('b')]),
    ).rejects.toThrow(/escalations_one_open_per_thread/);
  });
});
