/**
 * One year of a 40-ward trust (about 56,000 items, 27,000 escalations, 70,000 escalation
 * events), generated straight in SQL, then every report timed through the API. Each must answer
 * well under 2 s: the reports are a fixed number of grouped statements, whatever the volume.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/tokens.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { get, type ApiResponse } from '../helpers/fixtures.js';

/** Rows of a raw statement (db.execute is typed loosely across drivers). */
const rowsOf = (result: unknown) => (result as { rows: unknown[] }).rows;

let ctx: TestContext;
const TOKEN = `perf-governance-${randomUUID()}`;
const LIMIT_MS = 2_000;
const timings: Record<string, number[]> = {};

beforeAll(async () => {
  ctx = await createTestContext();
  const db = ctx.database.db;
  const org = randomUUID();
  const manager = randomUUID();
  const senior = randomUUID();
  const reader = randomUUID();
  const device = randomUUID();
  await db.execute(sql`
    INSERT INTO organisations (id, name, code, band_thresholds)
    VALUES (${org}, 'Performance Trust', ${`P${org.slice(0, 8)}`}, '{"moderate":4,"high":8,"extreme":15}')`);
  await db.execute(sql`
    INSERT INTO wards (organisation_id, code, name, division)
    SELECT ${org}, 'W' || lpad(n::text, 2, '0'), 'Ward ' || n, CASE WHEN n % 3 = 0 THEN 'Surgery' ELSE 'Medicine' END
    FROM generate_series(1, 40) n`);
  await db.execute(sql`
    INSERT INTO staff (id, organisation_id, name, email, role) VALUES
      (${manager}, ${org}, 'Matron', ${`m-${org}@x.nhs.uk`}, 'middle_manager'),
      (${senior}, ${org}, 'Director', ${`d-${org}@x.nhs.uk`}, 'senior_manager'),
      (${reader}, ${org}, 'Governance', ${`g-${org}@x.nhs.uk`}, 'governance')`);
  await db.execute(sql`
    INSERT INTO api_tokens (id, kind, organisation_id, staff_id, token_hash) VALUES
      (${device}, 'staff', ${org}, ${reader}, ${hashToken(TOKEN)})`);
  // Briefings every working day of 2025, about 90% held.
  await db.execute(sql`
    INSERT INTO briefings (organisation_id, ward_id, date, shift, held, not_held_reason,
      attendance_nursing, attendance_medical, attendance_allied, attendance_manager, attendance_other, recorded_by_token_id)
    SELECT ${org}, w.id, d::date, 'day', h % 10 <> 0, CASE WHEN h % 10 = 0 THEN 'Ward too busy' END,
      CASE WHEN h % 10 <> 0 THEN 3 + h % 5 END, CASE WHEN h % 10 <> 0 THEN h % 3 END, CASE WHEN h % 10 <> 0 THEN 1 END,
      CASE WHEN h % 10 <> 0 THEN h % 2 END, CASE WHEN h % 10 <> 0 THEN 0 END, ${device}
    FROM wards w
    CROSS JOIN generate_series('2025-01-01'::date, '2025-12-31'::date, '1 day') d
    CROSS JOIN LATERAL (SELECT abs(hashtext(w.id::text || d::text)) AS h) x
    WHERE w.organisation_id = ${org} AND extract(isodow FROM d) <= 5`);
  // Six items per held briefing.
  await db.execute(sql`
    INSERT INTO items (organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
      consequence, likelihood, risk_score, risk_band, status, resolved_at_briefing, resolved_at, needs_change, alignment, created_at)
    SELECT ${org}, b.ward_id, b.id, b.date, p, g.kind,
      (ARRAY['staffing','equipment','medication','communication','patient_flow','it_information','estates_environment',
             'infection_prevention','diagnostics','clinical_process','governance_admin','other'])[1 + (h / 10) % 12],
      'Generated issue ' || (h % 997),
      g.c, g.l, g.c * g.l,
      CASE WHEN g.c IS NULL THEN NULL WHEN g.c * g.l >= 15 THEN 'extreme' WHEN g.c * g.l >= 8 THEN 'high'
           WHEN g.c * g.l >= 4 THEN 'moderate' ELSE 'low' END,
      CASE WHEN g.kind = 'good_practice' OR h % 5 = 0 OR h % 2 = 0 THEN 'resolved' ELSE 'open' END,
      g.kind <> 'good_practice' AND h % 5 = 0,
      CASE WHEN g.kind = 'good_practice' THEN NULL
           WHEN h % 5 = 0 THEN b.date + time '09:30'
           WHEN h % 2 = 0 THEN b.date + ((h / 3) % 40) * interval '1 day' + time '15:00' END,
      CASE WHEN g.kind = 'good_practice' THEN NULL ELSE h % 4 <> 0 END,
      (ARRAY['aligned_for_change','aligned_no_change','clinical_only','managerial_only','pending'])[1 + (h / 7) % 5],
      b.date + time '09:00'
    FROM briefings b
    CROSS JOIN generate_series(0, 5) p
    CROSS JOIN LATERAL (SELECT abs(hashtext(b.id::text || p::text)) AS h) x
    CROSS JOIN LATERAL (SELECT
      CASE WHEN h % 10 = 0 THEN 'good_practice' WHEN h % 10 < 4 THEN 'risk' ELSE 'problem' END AS kind,
      CASE WHEN h % 10 = 0 THEN NULL ELSE 1 + (h / 13) % 5 END AS c,
      CASE WHEN h % 10 = 0 THEN NULL ELSE 1 + (h / 17) % 5 END AS l) g
    WHERE b.organisation_id = ${org} AND b.held`);
  // Threads: a fifth of problems and risks repeat the first item of their ward, category and month.
  await db.execute(sql`
    UPDATE items i SET thread_id = t.head
    FROM (
      SELECT id, first_value(id) OVER (PARTITION BY ward_id, category, date_trunc('month', raised_on) ORDER BY raised_on, id) AS head
      FROM items WHERE organisation_id = ${org} AND kind <> 'good_practice'
    ) t
    WHERE i.id = t.id AND t.head <> i.id AND abs(hashtext(i.id::text)) % 5 = 0`);
  // Escalations for moderate-and-above problems and risks not fixed at the briefing.
  await db.execute(sql`
    INSERT INTO escalations (organisation_id, ward_id, item_id, trigger, band, chain, state, level, assignee_staff_id,
      due_at, step, stance, stance_at, acknowledged_at, resolved_at, outcome, created_at)
    SELECT i.organisation_id, i.ward_id, i.id, 'automatic', i.risk_band,
      jsonb_build_object('levels', jsonb_build_array(${manager}::text, ${senior}::text), 'ackWithinSeconds', 14400,
                         'repeatEverySeconds', 14400, 'maxRepeats', 3),
      CASE WHEN i.status = 'resolved' THEN 'resolved' WHEN h % 4 = 0 THEN 'open' WHEN h % 4 = 1 THEN 'in_progress' ELSE 'acknowledged' END,
      CASE WHEN h % 7 = 0 THEN 1 ELSE 0 END,
      CASE WHEN h % 7 = 0 THEN ${senior}::uuid ELSE ${manager}::uuid END,
      i.created_at + interval '4 hours' * (CASE WHEN h % 7 = 0 THEN 2 ELSE 1 END), 2,
      CASE WHEN h % 3 = 0 THEN 'agree' WHEN h % 3 = 1 THEN 'disagree' END,
      CASE WHEN h % 3 < 2 THEN i.created_at + interval '3 hours' END,
      CASE WHEN i.status = 'resolved' OR h % 4 <> 0 THEN i.created_at + (h % 300) * interval '1 minute' END,
      CASE WHEN i.status = 'resolved' THEN i.resolved_at END,
      CASE WHEN i.status = 'resolved' THEN (ARRAY['fixed','mitigated','risk_accepted','not_actionable'])[1 + h % 4] END,
      i.created_at
    FROM items i CROSS JOIN LATERAL (SELECT abs(hashtext(i.id::text || 'e')) AS h) x
    WHERE i.organisation_id = ${org} AND i.kind <> 'good_practice' AND NOT i.resolved_at_briefing
      AND i.risk_band IN ('moderate', 'high', 'extreme')`);
  await db.execute(sql`
    INSERT INTO escalation_events (escalation_id, type, step, level, assignee_staff_id, details, created_at)
    SELECT e.id, 'started', 1, 0, ${manager}::uuid, '{}'::jsonb, e.created_at FROM escalations e WHERE e.organisation_id = ${org}
    UNION ALL
    SELECT e.id, 'climbed', 2, 1, ${senior}::uuid, '{}'::jsonb, e.created_at + interval '4 hours'
    FROM escalations e WHERE e.organisation_id = ${org} AND e.level = 1
    UNION ALL
    SELECT e.id, 'acknowledged', NULL::int, e.level, e.assignee_staff_id,
      jsonb_build_object('withinDeadline', e.acknowledged_at <= e.due_at), e.acknowledged_at
    FROM escalations e WHERE e.organisation_id = ${org} AND e.acknowledged_at IS NOT NULL
    UNION ALL
    SELECT e.id, 'resolved', NULL::int, e.level, e.assignee_staff_id, jsonb_build_object('outcome', e.outcome), e.resolved_at
    FROM escalations e WHERE e.organisation_id = ${org} AND e.resolved_at IS NOT NULL`);
  await db.execute(sql`
    INSERT INTO priorities (organisation_id, title, level, division, owner_staff_id)
    SELECT ${org}, 'Priority ' || n, CASE WHEN n = 1 THEN 'division' ELSE 'organisation' END,
      CASE WHEN n = 1 THEN 'Surgery' END, ${senior} FROM generate_series(1, 5) n`);
  await db.execute(sql`
    INSERT INTO item_priorities (item_id, priority_id)
    SELECT i.id, p.id FROM items i
    JOIN LATERAL (SELECT id FROM priorities WHERE organisation_id = ${org} ORDER BY title
                  OFFSET abs(hashtext(i.id::text)) % 5 LIMIT 1) p ON true
    WHERE i.organisation_id = ${org} AND abs(hashtext(i.id::text || 'p')) % 50 = 0`);
  await db.execute(sql`ANALYZE`);
  const [counts] = rowsOf(
    await db.execute(sql`
      SELECT (SELECT count(*)::int FROM items WHERE organisation_id = ${org}) AS items,
             (SELECT count(*)::int FROM escalations WHERE organisation_id = ${org}) AS escalations,
             (SELECT count(*)::int FROM escalation_events x JOIN escalations e ON e.id = x.escalation_id WHERE e.organisation_id = ${org}) AS events`),
  ) as { items: number; escalations: number; events: number }[];
  expect(counts!.items).toBeGreaterThan(50_000);
  expect(counts!.escalations).toBeGreaterThan(15_000);
  console.log(`generated ${JSON.stringify(counts)}`);
}, 300_000);

afterAll(() => {
  console.log(`report timings (ms) for one year of 40 wards: ${JSON.stringify(timings)}`);
  return ctx?.close();
});

const YEAR = 'from=2025-01-01&to=2025-12-31';

/**
 * The best of up to five calls (stopping early once one is under half the budget): the
 * steady-state cost, not the noise of whatever else the two-core machine runs at that moment,
 * e.g. another test file. Every call is logged.
 */
async function timed(name: string, url: string, budget = LIMIT_MS) {
  let best = Number.POSITIVE_INFINITY;
  let res: ApiResponse | undefined;
  const all: number[] = [];
  for (let attempt = 0; attempt < 5 && best >= budget / 2; attempt++) {
    const started = performance.now();
    res = await get(ctx.app, url, TOKEN);
    const ms = Math.round(performance.now() - started);
    all.push(ms);
    best = Math.min(best, ms);
    expect(res.status, res.raw.slice(0, 500)).toBe(200);
  }
  timings[name] = all;
  return { res: res!, ms: best };
}

describe('one year of 40 wards', () => {
  it.each([
    ['pack json', `/v1/reports/governance?${YEAR}`],
    ['pack csv', `/v1/reports/governance?${YEAR}&format=csv`],
    ['pack html', `/v1/reports/governance?${YEAR}&format=html`],
    ['alignment', `/v1/reports/alignment?${YEAR}`],
    ['spc items', `/v1/reports/spc?metric=items_raised&${YEAR}`],
    ['spc ack', `/v1/reports/spc?metric=ack_within_deadline&${YEAR}`],
    ['spc days', `/v1/reports/spc?metric=days_to_resolution&${YEAR}`],
    ['threats', `/v1/reports/threats?${YEAR}`],
  ])('%s answers well under 2 s', async (name, url) => {
    const { ms, res } = await timed(name, url);
    expect(ms, `${name} took ${ms} ms`).toBeLessThan(LIMIT_MS);
    if (name === 'pack json') {
      expect(res.body.scope.wards).toHaveLength(40);
      expect(res.body.items.overall.total.current).toBeGreaterThan(50_000);
      expect(res.body.spc.itemsRaised.points).toHaveLength(51); // complete ISO weeks: 6 January to 28 December
      expect(res.body.spc.itemsRaised.trial).toBe(false);
      expect(res.body.persistentIssues).toHaveLength(10);
    }
  });

  // Not a report but a bulk export: one month is about 5,000 items and 3,000 escalations, some
  // 17,000 FHIR resources (several MB of JSON). Timed and held to a looser bound.
  it('exports a month as FHIR in a few seconds', async () => {
    const { ms, res } = await timed('fhir one month', '/v1/exports/fhir?from=2025-06-01&to=2025-06-30', 5_000);
    expect(ms, `took ${ms} ms`).toBeLessThan(5_000);
    expect(JSON.parse(res.raw).entry.length).toBeGreaterThan(8_000);
  });
});

/** Diagnostic, off by default: PERF_EXPLAIN=1 prints EXPLAIN ANALYZE of each pack statement on this data. */
describe.runIf(process.env.PERF_EXPLAIN === '1')('explain', () => {
  it('explains', async () => {
    const { resolveScope, reportPeriod } = await import('../../src/reports/scope.js');
    const q = await import('../../src/reports/governance-queries.js');
    const a = await import('../../src/reports/alignment-queries.js');
    const s = await import('../../src/reports/spc-queries.js');
    const t = await import('../../src/reports/threats-queries.js');
    const { resolvePrincipal } = await import('../../src/auth/plugin.js');
    const db = ctx.database.db;
    const principal = (await resolvePrincipal(db, TOKEN)) as never;
    const scope = await resolveScope(db, principal, {});
    const period = reportPeriod('2025-01-01', '2025-12-31', new Date());
    const original = db.execute.bind(db);
    (db as unknown as { execute: unknown }).execute = async (query: ReturnType<typeof sql>) => {
      const started = performance.now();
      const plan = await db.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL jit = off`);
        await tx.execute(sql`SET LOCAL work_mem = '64MB'`);
        return tx.execute(sql`EXPLAIN (ANALYZE, BUFFERS) ${query}`);
      });
      const lines = (rowsOf(plan) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']);
      console.log(`---- ${Math.round(performance.now() - started)} ms\n${lines.join('\n')}`);
      return original(query);
    };
    for (const [name, run] of [
      ['fidelity', () => q.briefingFidelity(db, scope, period)],
      ['items', () => q.itemCounts(db, scope, period)],
      ['escalations', () => q.escalationFacts(db, scope, period)],
      ['overdue', () => q.overdueNow(db, scope, period)],
      ['threads', () => q.openThreads(db, scope, period)],
      ['priorities', () => q.priorityProgress(db, scope, period)],
      ['cells', () => a.resolutionCells(db, scope, period)],
      ['spc ack', () => s.ackWithinDeadlineByWeek(db, scope, period, '2025-01-06', '2025-12-28')],
      ['spc days', () => s.daysToResolutionByWeek(db, scope, period, '2025-01-06', '2025-12-28')],
      ['threats', () => t.openThreatThreads(db, scope, period)],
    ] as const) {
      console.log(`==== ${name}`);
      await run();
    }
    (db as unknown as { execute: unknown }).execute = original;
  }, 120_000);
});
