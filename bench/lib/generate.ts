/**
 * Generates organisations at a chosen scale straight in SQL (INSERT ... SELECT over
 * generate_series), never through the HTTP API, with rows as the service writes them:
 *
 * - every ward: a day and a night briefing each day of the year, held with the demo's odds (82%),
 *   1-4 items each drawn from the demo's templates (src/demo/templates.ts) - risk scores and
 *   bands from the default NHS thresholds, 35% of problems and risks fixed at the briefing, the
 *   team's needsChange on 70% of them, thread and recurrence ids null (no repeats are linked);
 * - every open problem or risk at or above the policy's minimum band (moderate) is escalated to
 *   its ward's matron (or the IT service manager for it_information), with the chain snapshot the
 *   policy gives; then, as the demo's managers do: a quarter are never acknowledged (the chain
 *   climbs to the director of nursing, who gets three reminders, and stays open), the rest are
 *   acknowledged in time, answered (agree 65%, disagree 25%, needs information 10%), given a
 *   planned action (60% of agreements) and resolved (70% / 25% / 15%), the item with them;
 * - each escalation's events, assignees, notifications and planned actions, and each side's
 *   position changes, with item alignment computed as src/domain/alignment.ts does.
 *
 * The year ends a week ago, so every chain in the history has finished and no timer is pending.
 * Audit events are not generated for the history (the audit chain starts with the benchmark).
 */
import type pg from 'pg';
import {
  DEFAULT_ACK_WITHIN_SECONDS,
  DEFAULT_MAX_REPEATS,
  DEFAULT_REPEAT_EVERY_SECONDS,
} from '../../src/domain/escalation.js';
import { DEFAULT_BAND_THRESHOLDS } from '../../src/domain/risk.js';
import { DEMO_ODDS, ITEM_TEMPLATES } from '../../src/demo/templates.js';
import { DESCRIPTION_SUFFIXES } from './demo-mix.js';
import { CLINICIANS_PER_WARD, WARDS_PER_MATRON, type GeneratedPeriod, type Scale } from './scales.js';

export { CLINICIANS_PER_WARD, periodFor, SCALES, tokenFor, WARDS_PER_MATRON } from './scales.js';
export type { GeneratedPeriod, Scale } from './scales.js';

/** The token hash the service stores for tokenFor(id), in SQL. */
const tokenHashSql = (idColumn: string) => `encode(sha256(convert_to('wsb_bench_' || ${idColumn}, 'UTF8')), 'hex')`;

const q = (text: string) => `'${text.replaceAll("'", "''")}'`;
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const ack = DEFAULT_ACK_WITHIN_SECONDS;
const t = DEFAULT_BAND_THRESHOLDS;

/** alignmentOf(needsChange, stance) from src/domain/alignment.ts, in SQL. */
const alignmentSql = (clinical: string, stance: string) => `CASE
  WHEN ${clinical} IS NULL OR ${stance} IS NULL OR ${stance} = 'needs_information' THEN 'pending'
  WHEN ${clinical} AND ${stance} = 'agree' THEN 'aligned_for_change'
  WHEN NOT ${clinical} AND ${stance} <> 'agree' THEN 'aligned_no_change'
  WHEN ${clinical} THEN 'clinical_only' ELSE 'managerial_only' END`;

/** What the generation steps share: the scale, the period and the demo's templates and suffixes as SQL. */
interface StepContext {
  scale: Scale;
  period: GeneratedPeriod;
  /** VALUES rows of src/demo/templates.ts: (n, kind, category, description, c, l). */
  templates: string;
  /** ARRAY[...] of the description suffixes. */
  suffixes: string;
  /** Wards per trust. */
  W: number;
}

function peopleSteps({ scale, period, W }: StepContext): [string, string][] {
  return [
    [
      'organisations',
      `CREATE TEMP TABLE g_org AS SELECT gen_random_uuid() AS id, n FROM generate_series(1, ${scale.trusts}) n;
       INSERT INTO organisations (id, name, code, band_thresholds, created_at)
       SELECT id, 'Bench Trust ' || n, 'BENCH' || lpad(n::text, 2, '0'), ${q(JSON.stringify(t))}::jsonb,
              ${q(period.from)}::timestamptz - interval '30 days'
       FROM g_org ORDER BY n;`,
    ],
    [
      'staff',
      `CREATE TEMP TABLE g_staff AS
       SELECT gen_random_uuid() AS id, o.id AS org_id, o.n AS org_n, s.role, s.key, s.name, s.ward_n
       FROM g_org o CROSS JOIN LATERAL (
         VALUES ('org_admin', 'admin', 'Trust administrator', NULL::int),
                ('governance', 'governance', 'Head of patient safety', NULL),
                ('senior_manager', 'director', 'Director of nursing', NULL),
                ('middle_manager', 'it', 'IT service manager', NULL)
         UNION ALL
         SELECT 'middle_manager', 'matron-' || k, 'Matron ' || k, NULL FROM generate_series(1, ${Math.ceil(W / WARDS_PER_MATRON)}) k
         UNION ALL
         SELECT 'clinician', 'nurse-' || w || '-' || c, 'Staff nurse ' || w || '.' || c, w
         FROM generate_series(1, ${W}) w, generate_series(1, ${CLINICIANS_PER_WARD}) c
       ) s(role, key, name, ward_n);
       INSERT INTO staff (id, organisation_id, name, email, role)
       SELECT id, org_id, name, key || '@trust' || org_n || '.bench.nhs.uk', role FROM g_staff;`,
    ],
    [
      'wards, policies, tokens',
      `CREATE TEMP TABLE g_ward AS
       SELECT gen_random_uuid() AS id, o.id AS org_id, w AS n,
              (ARRAY['Medicine', 'Surgery', 'Women and Children', 'Clinical Support'])[1 + (w - 1) * 4 / ${W}] AS division,
              gen_random_uuid() AS device_token_id,
              m.id AS matron_id, d.id AS director_id, it.id AS it_id
       FROM g_org o CROSS JOIN generate_series(1, ${W}) w
       JOIN g_staff m ON m.org_id = o.id AND m.key = 'matron-' || (1 + (w - 1) / ${WARDS_PER_MATRON})
       JOIN g_staff d ON d.org_id = o.id AND d.key = 'director'
       JOIN g_staff it ON it.org_id = o.id AND it.key = 'it';
       INSERT INTO wards (id, organisation_id, code, name, site, division)
       SELECT id, org_id, 'W' || lpad(n::text, ${Math.max(2, String(W).length)}, '0'), 'Ward ' || n, 'Main site', division FROM g_ward ORDER BY org_id, n;
       INSERT INTO staff_wards (staff_id, ward_id)
       SELECT matron_id, id FROM g_ward
       UNION ALL SELECT s.id, w.id FROM g_staff s JOIN g_ward w ON w.org_id = s.org_id AND w.n = s.ward_n;
       INSERT INTO api_tokens (id, kind, organisation_id, ward_id, label, token_hash)
       SELECT device_token_id, 'ward_device', org_id, id, 'Ward ' || n || ' tablet', ${tokenHashSql('id::text')} FROM g_ward;
       ALTER TABLE g_staff ADD token_id uuid;
       UPDATE g_staff SET token_id = gen_random_uuid() WHERE role <> 'clinician';
       INSERT INTO api_tokens (id, kind, organisation_id, staff_id, label, token_hash)
       SELECT token_id, 'staff', org_id, id, 'bench', ${tokenHashSql('id::text')} FROM g_staff WHERE token_id IS NOT NULL;
       INSERT INTO escalation_policies (ward_id, organisation_id, levels, ack_within_seconds, repeat_every_seconds,
                                        max_repeats, min_band_to_escalate, category_routes, updated_at)
       SELECT id, org_id, jsonb_build_array(matron_id, director_id), ${q(JSON.stringify(ack))}::jsonb,
              ${DEFAULT_REPEAT_EVERY_SECONDS}, ${DEFAULT_MAX_REPEATS}, 'moderate',
              jsonb_build_object('it_information', it_id), ${q(period.from)}::timestamptz - interval '30 days'
       FROM g_ward;`,
    ],
  ];
}

function briefingSteps({ period, templates, suffixes }: StepContext): [string, string][] {
  return [
    [
      'briefings',
      `CREATE TEMP TABLE g_brief AS
       SELECT gen_random_uuid() AS id, w.id AS ward_id, w.org_id, w.device_token_id, d::date AS date, s.shift,
              (d::date + s.starts) AT TIME ZONE 'UTC' AS at,
              random() < ${DEMO_ODDS.held} AS held, 1 + floor(random() * 4)::int AS n_items
       FROM g_ward w
       CROSS JOIN generate_series(${q(period.from)}::date, ${q(period.to)}::date, interval '1 day') d
       CROSS JOIN (VALUES ('day', time '08:30'), ('night', time '20:30')) s(shift, starts);
       INSERT INTO briefings (id, organisation_id, ward_id, date, shift, held, not_held_reason, facilitator,
         attendance_nursing, attendance_medical, attendance_allied, attendance_manager, attendance_other,
         duration_minutes, recorded_by_token_id, created_at)
       SELECT id, org_id, ward_id, date, shift, held,
              CASE WHEN NOT held THEN CASE WHEN random() < 0.5 THEN 'Ward too busy: two emergency admissions'
                                           ELSE 'No facilitator available' END END,
              CASE WHEN held THEN 'Nurse in charge' END,
              CASE WHEN held THEN 3 + floor(random() * 5) END, CASE WHEN held THEN floor(random() * 3) END,
              CASE WHEN held THEN floor(random() * 2) END, CASE WHEN held THEN (random() < 0.5)::int END,
              CASE WHEN held THEN 0 END, CASE WHEN held THEN 8 + floor(random() * 8) END,
              device_token_id, at
       FROM g_brief ORDER BY at, ward_id;`,
    ],
    [
      'item plan',
      `CREATE TEMP TABLE g_template (n int, kind text, category text, description text, c int, l int);
       INSERT INTO g_template VALUES ${templates};
       CREATE TEMP TABLE g_item AS
       SELECT x.id, x.briefing_id, x.ward_id, x.org_id, x.device_token_id, x.date, x.at, x.position,
              tp.kind, tp.category,
              tp.description || CASE WHEN tp.kind = 'good_practice' OR x.r_suffix < 0.4 THEN ''
                                     ELSE ' ' || (${suffixes})[1 + floor(x.r_suffix * 1000)::int % ${DESCRIPTION_SUFFIXES.length}] END AS description,
              tp.c, tp.l, tp.c * tp.l AS score,
              CASE WHEN tp.c IS NULL THEN NULL WHEN tp.c * tp.l >= ${t.extreme} THEN 'extreme' WHEN tp.c * tp.l >= ${t.high} THEN 'high'
                   WHEN tp.c * tp.l >= ${t.moderate} THEN 'moderate' ELSE 'low' END AS band,
              tp.kind <> 'good_practice' AND x.r_fixed < ${DEMO_ODDS.resolvedAtBriefing} AS fixed_at_briefing,
              CASE WHEN tp.kind <> 'good_practice' THEN x.r_needs < ${DEMO_ODDS.needsChange} END AS needs_change
       FROM (
         SELECT gen_random_uuid() AS id, b.id AS briefing_id, b.ward_id, b.org_id, b.device_token_id, b.date, b.at,
                p AS position, 1 + floor(random() * ${ITEM_TEMPLATES.length})::int AS template,
                random() AS r_suffix, random() AS r_fixed, random() AS r_needs
         FROM g_brief b CROSS JOIN LATERAL generate_series(0, b.n_items - 1) p
         WHERE b.held
       ) x JOIN g_template tp ON tp.n = x.template;`,
    ],
  ];
}

function escalationPlanSteps(): [string, string][] {
  return [
    [
      'escalation plan',
      // One row per escalation with every draw and instant it needs; the inserts below read it.
      `CREATE TEMP TABLE g_esc AS
       SELECT e.*,
              CASE WHEN e.never THEN NULL WHEN e.r_stance < 0.65 THEN 'agree' WHEN e.r_stance < 0.9 THEN 'disagree'
                   ELSE 'needs_information' END AS stance,
              e.created_at + e.ack_s * interval '1 second' AS due0
       FROM (
         SELECT gen_random_uuid() AS id, i.id AS item_id, i.org_id, i.ward_id, i.band, i.needs_change, i.at AS created_at,
                i.device_token_id,
                CASE WHEN i.category = 'it_information' THEN w.it_id ELSE w.matron_id END AS first_id, w.director_id,
                CASE i.band WHEN 'extreme' THEN ${ack.extreme} WHEN 'high' THEN ${ack.high}
                            WHEN 'moderate' THEN ${ack.moderate} ELSE ${ack.low} END AS ack_s,
                random() < 0.25 AS never, random() AS r_ack, random() AS r_stance, random() AS r_action,
                random() AS r_resolve, random() AS r_outcome, random() AS r_days
         FROM g_item i JOIN g_ward w ON w.id = i.ward_id
         WHERE i.kind <> 'good_practice' AND NOT i.fixed_at_briefing AND i.band IN ('moderate', 'high', 'extreme')
       ) e;
       ALTER TABLE g_esc ADD ack_at timestamptz, ADD stance_at timestamptz, ADD action_at timestamptz,
         ADD action_due date, ADD resolved_at timestamptz, ADD outcome text, ADD first_token uuid;
       UPDATE g_esc SET ack_at = created_at + ack_s * r_ack * 0.9 * interval '1 second' WHERE NOT never;
       UPDATE g_esc SET stance_at = least(now() - interval '1 second', ack_at + interval '2 hours'),
                        action_at = CASE WHEN stance = 'agree' AND r_action < 0.6 THEN least(now() - interval '1 second', ack_at + interval '6 hours') END,
                        action_due = (least(now() - interval '1 second', ack_at + interval '14 days') AT TIME ZONE 'UTC')::date,
                        resolved_at = CASE WHEN r_resolve < CASE stance WHEN 'agree' THEN 0.7 WHEN 'disagree' THEN 0.25 ELSE 0.15 END
                                      THEN least(now() - interval '1 second', ack_at + (1 + floor(r_days * 12)) * interval '1 day') END,
                        outcome = CASE WHEN stance = 'agree' THEN CASE WHEN r_outcome < 0.7 THEN 'fixed' ELSE 'mitigated' END
                                       ELSE CASE WHEN r_outcome < 0.5 THEN 'risk_accepted' ELSE 'not_actionable' END END
       WHERE NOT never;
       UPDATE g_esc SET outcome = NULL WHERE resolved_at IS NULL;
       UPDATE g_esc e SET first_token = s.token_id FROM g_staff s WHERE s.id = e.first_id;
       CREATE INDEX ON g_esc (item_id);
       ANALYZE g_esc;`,
    ],
  ];
}

function rowSteps(): [string, string][] {
  return [
    [
      'items',
      `INSERT INTO items (id, organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
         consequence, likelihood, risk_score, risk_band, harm, status, resolved_at_briefing, action_taken, needs_change,
         clinical_rationale, clinical_position_at, managerial_stance, alignment, agreement_reached_at,
         recurrence_of, recurrence_source, thread_id, resolution_note, resolved_at, resolved_by_token_id, created_at)
       SELECT i.id, i.org_id, i.ward_id, i.briefing_id, i.date, i.position, i.kind, i.category, i.description,
              i.c, i.l, i.score, i.band, NULL,
              CASE WHEN i.kind = 'good_practice' OR i.fixed_at_briefing OR e.resolved_at IS NOT NULL THEN 'resolved' ELSE 'open' END,
              i.fixed_at_briefing, NULL, i.needs_change, NULL, CASE WHEN i.needs_change IS NOT NULL THEN i.at END,
              e.stance, ${alignmentSql('i.needs_change', 'e.stance')},
              CASE WHEN ${alignmentSql('i.needs_change', 'e.stance')} IN ('aligned_for_change', 'aligned_no_change') THEN e.stance_at END,
              NULL, NULL, NULL,
              CASE WHEN e.resolved_at IS NOT NULL THEN 'Outcome fed back to the ward at the briefing' END,
              CASE WHEN i.fixed_at_briefing THEN i.at ELSE e.resolved_at END,
              CASE WHEN i.fixed_at_briefing THEN i.device_token_id WHEN e.resolved_at IS NOT NULL THEN e.first_token END,
              i.at
       FROM g_item i LEFT JOIN g_esc e ON e.item_id = i.id
       ORDER BY i.at, i.ward_id, i.position;`,
    ],
    [
      'escalations',
      `INSERT INTO escalations (id, organisation_id, ward_id, item_id, trigger, reason, band, chain, state, level,
         assignee_staff_id, due_at, next_step_at, step, repeats_sent, snoozed_until, stance, stance_rationale, stance_at,
         acknowledged_at, resolved_at, outcome, outcome_note, created_at)
       SELECT id, org_id, ward_id, item_id, 'automatic', NULL, band,
              jsonb_build_object('levels', jsonb_build_array(first_id, director_id), 'ackWithinSeconds', ack_s,
                                 'repeatEverySeconds', ${DEFAULT_REPEAT_EVERY_SECONDS}, 'maxRepeats', ${DEFAULT_MAX_REPEATS}),
              CASE WHEN never THEN 'open' WHEN resolved_at IS NOT NULL THEN 'resolved'
                   WHEN action_at IS NOT NULL THEN 'in_progress' ELSE 'acknowledged' END,
              CASE WHEN never THEN 1 ELSE 0 END,
              CASE WHEN never THEN director_id ELSE first_id END,
              CASE WHEN never THEN due0 + ack_s * interval '1 second' ELSE due0 END,
              NULL,
              CASE WHEN never THEN ${2 + DEFAULT_MAX_REPEATS} WHEN resolved_at IS NOT NULL THEN 3 ELSE 2 END,
              CASE WHEN never THEN ${DEFAULT_MAX_REPEATS} ELSE 0 END, NULL,
              stance,
              CASE stance WHEN 'agree' THEN 'Agreed: this needs fixing beyond the ward'
                          WHEN 'disagree' THEN 'Within current tolerance; the ward can manage this locally'
                          WHEN 'needs_information' THEN 'Please send numbers for the last fortnight' END,
              stance_at, ack_at, resolved_at, outcome,
              CASE WHEN resolved_at IS NOT NULL THEN 'Outcome fed back to the ward at the briefing' END,
              created_at
       FROM g_esc ORDER BY created_at;
       INSERT INTO escalation_assignees (escalation_id, staff_id, first_assigned_at)
       SELECT id, first_id, created_at FROM g_esc
       UNION ALL SELECT id, director_id, due0 FROM g_esc WHERE never;
       INSERT INTO escalation_actions (escalation_id, description, due_date, created_by_staff_id, created_at)
       SELECT id, 'Raised with the service lead; funding request submitted', action_due, first_id, action_at
       FROM g_esc WHERE action_at IS NOT NULL ORDER BY action_at;`,
    ],
  ];
}

function historySteps(): [string, string][] {
  return [
    [
      'escalation events',
      `INSERT INTO escalation_events (escalation_id, type, step, actor_staff_id, actor_token_id, level, assignee_staff_id, details, created_at)
       SELECT escalation_id, type, step, actor_staff_id, actor_token_id, level, assignee_staff_id, details, at FROM (
         SELECT id AS escalation_id, 'started' AS type, 1 AS step, NULL::uuid AS actor_staff_id, device_token_id AS actor_token_id,
                0 AS level, first_id AS assignee_staff_id,
                jsonb_build_object('trigger', 'automatic', 'band', band, 'dueAt', ${iso('due0')}) AS details, created_at AS at, 0 AS seq
         FROM g_esc
         UNION ALL
         SELECT id, 'climbed', 2, NULL, NULL, 1, director_id,
                jsonb_build_object('fromLevel', 0, 'fromStaffId', first_id, 'missedDueAt', ${iso('due0')}), due0, 1
         FROM g_esc WHERE never
         UNION ALL
         SELECT id, 'reminded', 2 + r, NULL, NULL, 1, director_id, jsonb_build_object('repeat', r, 'of', ${DEFAULT_MAX_REPEATS}),
                due0 + ack_s * interval '1 second' + (r - 1) * ${DEFAULT_REPEAT_EVERY_SECONDS} * interval '1 second', 1 + r
         FROM g_esc CROSS JOIN generate_series(1, ${DEFAULT_MAX_REPEATS}) r WHERE never
         UNION ALL
         SELECT id, 'acknowledged', 2, first_id, first_token, 0, first_id, jsonb_build_object('withinDeadline', true), ack_at, 1
         FROM g_esc WHERE NOT never
         UNION ALL
         SELECT id, 'position', NULL, first_id, first_token, 0, first_id,
                jsonb_build_object('stance', stance, 'previousStance', NULL), stance_at, 2
         FROM g_esc WHERE NOT never
         UNION ALL
         SELECT id, 'action_planned', NULL, first_id, first_token, 0, first_id,
                jsonb_build_object('dueDate', action_due::text), action_at, 3
         FROM g_esc WHERE action_at IS NOT NULL
         UNION ALL
         SELECT id, 'resolved', 3, first_id, first_token, 0, first_id, jsonb_build_object('outcome', outcome), resolved_at, 4
         FROM g_esc WHERE resolved_at IS NOT NULL
       ) ev ORDER BY at, escalation_id, seq;`,
    ],
    [
      'notifications, position changes',
      `INSERT INTO notifications (organisation_id, recipient_staff_id, escalation_id, type, step, level, due_at, created_at)
       SELECT org_id, recipient, id, type, step, level, due_at, at FROM (
         SELECT org_id, first_id AS recipient, id, 'assigned' AS type, 1 AS step, 0 AS level, due0 AS due_at, created_at AS at
         FROM g_esc
         UNION ALL SELECT org_id, director_id, id, 'assigned', 2, 1, due0 + ack_s * interval '1 second', due0 FROM g_esc WHERE never
         UNION ALL SELECT org_id, director_id, id, 'reminder', 2 + r, 1, due0 + ack_s * interval '1 second',
                          due0 + ack_s * interval '1 second' + (r - 1) * ${DEFAULT_REPEAT_EVERY_SECONDS} * interval '1 second'
                   FROM g_esc CROSS JOIN generate_series(1, ${DEFAULT_MAX_REPEATS}) r WHERE never
       ) n ORDER BY at;
       INSERT INTO position_changes (organisation_id, item_id, side, needs_change, stance, rationale, alignment_after,
                                     actor_staff_id, actor_token_id, created_at)
       SELECT org_id, item_id, side, needs_change, stance, rationale, alignment_after, actor_staff_id, actor_token_id, at FROM (
         SELECT org_id, id AS item_id, 'clinical' AS side, needs_change, NULL AS stance, NULL AS rationale,
                'pending' AS alignment_after, NULL::uuid AS actor_staff_id, device_token_id AS actor_token_id, at
         FROM g_item WHERE needs_change IS NOT NULL
         UNION ALL
         SELECT org_id, item_id, 'managerial', NULL, stance,
                CASE stance WHEN 'agree' THEN 'Agreed: this needs fixing beyond the ward'
                            WHEN 'disagree' THEN 'Within current tolerance; the ward can manage this locally'
                            ELSE 'Please send numbers for the last fortnight' END,
                ${alignmentSql('needs_change', 'stance')}, first_id, first_token, stance_at
         FROM g_esc WHERE stance IS NOT NULL
       ) p ORDER BY at;`,
    ],
  ];
}

/** `reportsOnly`: leave out the notifications and position changes no report reads, and only ANALYZE (the large-pack test). */
export interface GenerateOptions {
  reportsOnly?: boolean;
}

function steps(scale: Scale, period: GeneratedPeriod, options: GenerateOptions = {}): [string, string][] {
  const all = allSteps(scale, period);
  if (!options.reportsOnly) return all;
  return [
    ...all.filter(([name]) => name !== 'notifications, position changes' && name !== 'vacuum analyze'),
    ['analyze', 'ANALYZE'],
  ];
}

function allSteps(scale: Scale, period: GeneratedPeriod): [string, string][] {
  const templates = ITEM_TEMPLATES.map(
    (tp, n) =>
      `(${n + 1}, ${q(tp.kind)}, ${q(tp.category)}, ${q(tp.description)}, ${tp.c ?? 'NULL'}::int, ${tp.l ?? 'NULL'}::int)`,
  ).join(',\n');
  const suffixes = `ARRAY[${DESCRIPTION_SUFFIXES.map(q).join(', ')}]`;
  const context: StepContext = { scale, period, templates, suffixes, W: scale.wardsPerTrust };
  return [
    ...peopleSteps(context),
    ...briefingSteps(context),
    ...escalationPlanSteps(),
    ...rowSteps(),
    ...historySteps(),
    ['vacuum analyze', 'VACUUM ANALYZE'],
  ];
}

export interface GeneratedCounts {
  organisations: number;
  wards: number;
  staff: number;
  briefings: number;
  items: number;
  escalations: number;
  escalationEvents: number;
  notifications: number;
  positionChanges: number;
  databaseBytes: number;
}

/** Runs the generator on one connection (its temp tables live for that session). */
export async function generate(
  client: pg.Client,
  scale: Scale,
  period: GeneratedPeriod,
  log: (line: string) => void,
  options: GenerateOptions = {},
): Promise<{ counts: GeneratedCounts; seconds: number }> {
  const started = performance.now();
  for (const [name, statement] of steps(scale, period, options)) {
    const stepStarted = performance.now();
    await client.query(statement);
    log(`  generated ${name} in ${((performance.now() - stepStarted) / 1000).toFixed(1)} s`);
  }
  const { rows } = await client.query<Record<keyof GeneratedCounts, string>>(`
    SELECT (SELECT count(*) FROM organisations) AS "organisations", (SELECT count(*) FROM wards) AS "wards",
           (SELECT count(*) FROM staff) AS "staff", (SELECT count(*) FROM briefings) AS "briefings",
           (SELECT count(*) FROM items) AS "items", (SELECT count(*) FROM escalations) AS "escalations",
           (SELECT count(*) FROM escalation_events) AS "escalationEvents",
           (SELECT count(*) FROM notifications) AS "notifications",
           (SELECT count(*) FROM position_changes) AS "positionChanges",
           pg_database_size(current_database()) AS "databaseBytes"`);
  const counts = Object.fromEntries(
    Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]),
  ) as unknown as GeneratedCounts;
  return { counts, seconds: (performance.now() - started) / 1000 };
}
