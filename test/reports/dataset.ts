/**
 * A small trust whose every report figure is worked out by hand in governance-pack.test.ts.
 *
 * Built through the API wherever the API can do it: wards, the escalation policy, briefings and
 * their items (with named repeats), manager actions (acknowledge, position, actions, resolve),
 * ward resolutions, a manual escalation and priorities with linked items. What the API cannot
 * do, because it stamps the real clock, is set afterwards in the database: every timestamp
 * (escalations opened, acknowledged, resolved; item resolutions) is moved to the designed
 * instant in June 2025, and deadline climbs run through the escalation engine's own timer step
 * at the designed instant. Alignment and thread ids are set to their designed values (the
 * alignment and recurrence code keeps them in production; here they are pinned so this file
 * tests the reports alone).
 *
 * Period: Monday 2025-06-02 to Sunday 2025-06-29 (28 days, 20 working days, 4 ISO weeks, BST).
 * Previous period: 2025-05-05 to 2025-06-01. Times below are UTC (BST = UTC+1).
 *
 * Wards: W1 and W2 (division Medicine), W3 (Surgery). Only W1 has an escalation policy
 * (middle manager, then senior manager; default deadlines: extreme 1 h, high 4 h, moderate 24 h,
 * low 72 h; minimum band moderate), so only W1 items escalate.
 *
 * Items (C x L = score, band; rab = resolved at the briefing; nc = the team's needsChange):
 *   previous period
 *   p1 W1 05-12 problem equipment        3x2=6 moderate  nc    E0   thread T1 starts
 *   p2 W1 05-19 risk    staffing         2x2=4 moderate  rab
 *   p3 W2 05-13 good practice communication
 *   p4 W2 05-13 problem patient_flow     2x5=10 high     nc    (no policy)  thread T2 starts
 *   this period, W1
 *   a1  06-02 problem equipment          4x3=12 high     nc    E1  ack 1 h, agree, fixed 06-06
 *   a2  06-02 good practice communication
 *   a3  06-03 risk medication            4x4=16 extreme  nc    E2  climbed at 1 h, senior acks at 1.5 h, agree, action
 *   a4  06-04 problem staffing           2x2=4 moderate  rab
 *   a5  06-09 problem equipment          3x2=6 moderate  !nc   E3  repeat of p1; climbed at 24 h, never acknowledged
 *   a6  06-10 risk it_information        2x1=2 low       nc    E7  manual escalation 06-29 20:00, pending
 *   a7  06-11 problem estates_environment 3x3=9 high     !nc   E4  ward fixed it 06-11 10:00, before the deadline
 *   a8  06-16 problem equipment          3x2=6 moderate  nc    E5  repeat of p1; ack 6 h, disagree, risk accepted 06-26
 *   a9  06-17 problem clinical_process   4x2=8 high      nc    E6  ack 2 h, agree, action, mitigated 06-20
 *   a10 06-18 risk communication         3x2=6 moderate  !nc   E8  ack 1 h, disagree, not actionable 06-19
 *   a11 06-19 problem patient_flow       2x3=6 moderate  !nc   E9  ack 0.5 h, agree, open
 *   a12 06-30 risk other                 1x1=1 low             after the period: counted nowhere
 *   this period, W2 (no policy: nothing escalates)
 *   b1  06-02 problem patient_flow       2x5=10 high     nc    repeat of p4
 *   b2  06-03 problem patient_flow       2x5=10 high     nc    repeat of p4; ward resolves 07-10 (after the period)
 *   b3  06-04 risk infection_prevention  4x4=16 extreme  nc    ward resolves 06-24 12:00
 *   b4  06-05 good practice clinical_process
 *   b5  06-06 problem diagnostics        3x3=9 high      rab
 */
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { runEscalationStep } from '../../src/escalations/timer.js';
import type { TestContext } from '../helpers/context.js';
import { putPolicy } from '../helpers/escalation.js';
import { createOrganisation, post, type Organisation } from '../helpers/fixtures.js';
import { briefingPlan, STANDARD } from './dataset-plan.js';

export const PERIOD = { from: '2025-06-02', to: '2025-06-29' } as const;

/** Rows of a raw statement (db.execute is typed loosely across drivers). */
export const rowsOf = (result: unknown) => (result as { rows: unknown[] }).rows;

export interface Dataset {
  org: Organisation;
  other: Organisation;
  wards: { W1: WardInfo; W2: WardInfo; W3: WardInfo };
  organisationName: string;
  /** Item ids by key (p1, a1, ...). */
  items: Record<string, string>;
  /** Escalation ids E0..E9. */
  escalations: Record<string, string>;
  priorities: Record<'PR1' | 'PR2' | 'PR3' | 'PR4', string>;
}

export interface WardInfo {
  id: string;
  code: string;
  name: string;
  division: string;
  deviceToken: string;
}

const at = (date: string, time: string) => `${date}T${time}:00Z`;

export async function buildDataset(ctx: TestContext): Promise<Dataset> {
  const app = ctx.app;
  const db = ctx.database.db;
  const org = await createOrganisation(app);
  const other = await createOrganisation(app);
  const ward3 = await post(app, '/v1/wards', org.adminToken, { code: 'W3', name: 'Ward W3', division: 'Surgery' });
  expect(ward3.status, ward3.raw).toBe(201);
  const device3 = await post(app, '/v1/tokens', org.adminToken, { wardId: ward3.body.id, label: 'W3 tablet' });
  expect(device3.status, device3.raw).toBe(201);
  const wards = {
    W1: {
      id: org.wards[0]!.id,
      code: 'W1',
      name: 'Ward W1',
      division: 'Medicine',
      deviceToken: org.wards[0]!.deviceToken,
    },
    W2: {
      id: org.wards[1]!.id,
      code: 'W2',
      name: 'Ward W2',
      division: 'Medicine',
      deviceToken: org.wards[1]!.deviceToken,
    },
    W3: {
      id: ward3.body.id as string,
      code: 'W3',
      name: 'Ward W3',
      division: 'Surgery',
      deviceToken: device3.body.token as string,
    },
  };
  await putPolicy(ctx, org, wards.W1.id, {
    levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
  });

  const items: Record<string, string> = {};
  const escalationOf: Record<string, string> = {};
  for (const b of briefingPlan()) {
    const ward = wards[b.ward];
    const body: Record<string, unknown> = { wardId: ward.id, date: b.date, shift: b.shift ?? 'day' };
    if (b.notHeld) {
      Object.assign(body, { held: false, notHeldReason: b.notHeld });
    } else {
      if (b.attendance !== null) body.attendance = b.attendance ?? STANDARD;
      body.items = (b.items ?? []).map((i) => ({
        kind: i.kind,
        category: i.category,
        description: i.description,
        ...(i.c ? { consequence: i.c, likelihood: i.l } : {}),
        ...(i.rab ? { resolvedAtBriefing: true } : {}),
        ...(i.nc === undefined ? {} : { needsChange: i.nc }),
        ...(i.repeatOf ? { recurrenceOf: items[i.repeatOf] } : {}),
      }));
    }
    const res = await post(app, '/v1/briefings', ward.deviceToken, body);
    expect(res.status, res.raw).toBe(201);
    (b.items ?? []).forEach((spec, index) => {
      const created = res.body.items[index];
      items[spec.key] = created.id;
      if (created.escalation) escalationOf[spec.key] = created.escalation.id;
    });
  }
  // Another trust's briefing in the same period: never counted.
  const foreign = await post(app, '/v1/briefings', other.wards[0]!.deviceToken, {
    wardId: other.wards[0]!.id,
    date: '2025-06-02',
    items: [
      { kind: 'problem', category: 'equipment', description: 'Another trust entirely', consequence: 5, likelihood: 5 },
    ],
  });
  expect(foreign.status, foreign.raw).toBe(201);

  // Exactly the designed escalations started automatically.
  expect(Object.keys(escalationOf).sort()).toEqual(['a1', 'a10', 'a11', 'a3', 'a5', 'a7', 'a8', 'a9', 'p1'].sort());
  const E = {
    E0: escalationOf.p1!,
    E1: escalationOf.a1!,
    E2: escalationOf.a3!,
    E3: escalationOf.a5!,
    E4: escalationOf.a7!,
    E5: escalationOf.a8!,
    E6: escalationOf.a9!,
    E8: escalationOf.a10!,
    E9: escalationOf.a11!,
  };

  const mm = org.middleManager.token;
  const sm = org.seniorManager.token;
  const act = async (token: string, id: string, action: string, payload: Record<string, unknown> = {}) => {
    const res = await post(app, `/v1/escalations/${id}/${action}`, token, payload);
    expect(res.status, `${action} ${res.raw}`).toBe(200);
  };
  const climb = async (id: string, when: string) => {
    // The timer falls due at the designed instant (the engine never runs a step before its time).
    await db.execute(sql`UPDATE escalations SET next_step_at = ${when}::timestamptz WHERE id = ${id}`);
    const [row] = rowsOf(await db.execute(sql`SELECT step FROM escalations WHERE id = ${id}`)) as { step: number }[];
    expect(await runEscalationStep({ db }, { escalationId: id, step: row!.step }, new Date(when))).toBe('climbed');
  };

  // E0: acknowledged, agrees, plans an action; still in progress.
  await act(mm, E.E0, 'acknowledge');
  await act(mm, E.E0, 'position', {
    stance: 'agree',
    rationale: 'Replacement scanner requested from medical engineering',
  });
  await act(mm, E.E0, 'actions', { description: 'Order a replacement bladder scanner', dueDate: '2025-07-15' });
  // E1: acknowledged in time, agrees, fixed.
  await act(mm, E.E1, 'acknowledge');
  await act(mm, E.E1, 'position', { stance: 'agree', rationale: 'Pumps are past their service date' });
  await act(mm, E.E1, 'resolve', { outcome: 'fixed', note: 'Pump replaced' });
  // E2: the deadline passes, it climbs to the senior manager, who acknowledges, agrees and plans an action.
  await climb(E.E2, at('2025-06-03', '10:00'));
  await act(sm, E.E2, 'acknowledge');
  await act(sm, E.E2, 'position', { stance: 'agree', rationale: 'Controlled drugs key process must change' });
  await act(sm, E.E2, 'actions', { description: 'Review the controlled drugs key handover', dueDate: '2025-07-01' });
  // E3: climbs and is never acknowledged.
  await climb(E.E3, at('2025-06-10', '09:00'));
  // E4: the ward fixes it before anyone acknowledges.
  const fixed = await post(app, `/v1/items/${items.a7}/resolve`, wards.W1.deviceToken, {
    note: 'Estates repaired the toilet',
  });
  expect(fixed.status, fixed.raw).toBe(200);
  // E5: acknowledged, disagrees, risk accepted.
  await act(mm, E.E5, 'acknowledge');
  await act(mm, E.E5, 'position', {
    stance: 'disagree',
    rationale: 'Within tolerance: a second scanner is available on the next ward',
  });
  await act(mm, E.E5, 'resolve', { outcome: 'risk_accepted', note: 'Sharing the scanner with the next ward' });
  // E6: acknowledged, agrees, plans an action, mitigated.
  await act(mm, E.E6, 'acknowledge');
  await act(mm, E.E6, 'position', { stance: 'agree', rationale: 'Agreed: falls assessments must be on time' });
  await act(mm, E.E6, 'actions', { description: 'Audit falls assessments weekly', dueDate: '2025-07-31' });
  await act(mm, E.E6, 'resolve', { outcome: 'mitigated', note: 'Weekly audit in place' });
  // E8: acknowledged, disagrees, not actionable.
  await act(mm, E.E8, 'acknowledge');
  await act(mm, E.E8, 'position', { stance: 'disagree', rationale: 'Changeover handover is already protected' });
  await act(mm, E.E8, 'resolve', { outcome: 'not_actionable', note: 'No change needed' });
  // E9: acknowledged, agrees, still open.
  await act(mm, E.E9, 'acknowledge');
  await act(mm, E.E9, 'position', { stance: 'agree', rationale: 'Agreed: the bed meeting will review porter cover' });
  // E7: the ward escalates the low-risk item by hand.
  const manual = await post(app, `/v1/items/${items.a6}/escalate`, wards.W1.deviceToken, {
    reason: 'Third week running',
  });
  expect(manual.status, manual.raw).toBe(201);
  const E7: string = manual.body.id;
  // Ward resolutions on W2.
  for (const key of ['b3', 'b2']) {
    const res = await post(app, `/v1/items/${items[key]}/resolve`, wards.W2.deviceToken, {
      note: 'Sorted on the ward',
    });
    expect(res.status, res.raw).toBe(200);
  }

  // Priorities, through the API.
  const priority = async (body: Record<string, unknown>) => {
    const res = await post(app, '/v1/priorities', org.adminToken, body);
    expect(res.status, res.raw).toBe(201);
    return res.body.id as string;
  };
  const PR1 = await priority({
    title: 'Reduce equipment downtime',
    level: 'organisation',
    ownerStaffId: org.seniorManager.id,
  });
  const PR2 = await priority({
    title: 'Faster discharge from ward W2',
    level: 'ward',
    wardId: wards.W2.id,
    ownerStaffId: org.middleManager.id,
  });
  const PR3 = await priority({
    title: 'Theatre list overruns',
    level: 'division',
    division: 'Surgery',
    ownerStaffId: org.seniorManager.id,
  });
  const PR4 = await priority({
    title: 'Retired priority',
    level: 'organisation',
    ownerStaffId: org.seniorManager.id,
    active: false,
  });
  const link = async (key: string, priorityId: string) => {
    const res = await post(app, `/v1/items/${items[key]}/priorities`, sm, { priorityId });
    expect(res.status, res.raw).toBe(200);
  };
  for (const key of ['a1', 'a5', 'a8', 'p1']) await link(key, PR1);
  for (const key of ['p4', 'b1', 'b2']) await link(key, PR2);
  await link('a9', PR4);

  // ---- Times: move everything to its designed instant.
  const ts = (value: string | null) => (value === null ? sql`NULL::timestamptz` : sql`${value}::timestamptz`);
  const retime = async (
    id: string,
    t: {
      opened: string;
      due: string;
      acknowledged?: string;
      withinDeadline?: boolean;
      stance?: string;
      action?: string;
      resolved?: string;
      itemKey: string;
    },
  ) => {
    await db.execute(sql`
      UPDATE escalations SET created_at = ${ts(t.opened)}, due_at = ${ts(t.due)},
        acknowledged_at = CASE WHEN acknowledged_at IS NULL THEN NULL ELSE ${ts(t.acknowledged ?? null)} END,
        stance_at = CASE WHEN stance_at IS NULL THEN NULL ELSE ${ts(t.stance ?? null)} END,
        resolved_at = CASE WHEN resolved_at IS NULL THEN NULL ELSE ${ts(t.resolved ?? null)} END
      WHERE id = ${id}`);
    await db.execute(sql`
      UPDATE escalation_events SET created_at = CASE type
        WHEN 'started' THEN ${ts(t.opened)}
        WHEN 'acknowledged' THEN ${ts(t.acknowledged ?? null)}
        WHEN 'position' THEN ${ts(t.stance ?? null)}
        WHEN 'action_planned' THEN ${ts(t.action ?? null)}
        WHEN 'resolved' THEN ${ts(t.resolved ?? null)}
        ELSE created_at END
      WHERE escalation_id = ${id}`);
    if (t.withinDeadline !== undefined) {
      await db.execute(sql`
        UPDATE escalation_events SET details = jsonb_set(details, '{withinDeadline}', to_jsonb(${t.withinDeadline}::boolean))
        WHERE escalation_id = ${id} AND type = 'acknowledged'`);
    }
    if (t.action)
      await db.execute(sql`UPDATE escalation_actions SET created_at = ${ts(t.action)} WHERE escalation_id = ${id}`);
    if (t.resolved)
      await db.execute(sql`UPDATE items SET resolved_at = ${ts(t.resolved)} WHERE id = ${items[t.itemKey]}`);
    // Nothing of this escalation may be left at the real clock.
    const [left] = rowsOf(
      await db.execute(sql`
      SELECT count(*)::int AS n FROM escalation_events WHERE escalation_id = ${id} AND created_at > '2025-12-31'`),
    ) as { n: number }[];
    expect(left!.n, `events of ${t.itemKey} left at the real clock`).toBe(0);
  };
  await retime(E.E0, {
    itemKey: 'p1',
    opened: at('2025-05-12', '09:00'),
    due: at('2025-05-13', '09:00'),
    acknowledged: at('2025-05-12', '12:00'),
    withinDeadline: true,
    stance: at('2025-05-12', '12:30'),
    action: at('2025-05-12', '13:00'),
  });
  await retime(E.E1, {
    itemKey: 'a1',
    opened: at('2025-06-02', '09:00'),
    due: at('2025-06-02', '13:00'),
    acknowledged: at('2025-06-02', '10:00'),
    withinDeadline: true,
    stance: at('2025-06-02', '10:30'),
    resolved: at('2025-06-06', '09:00'),
  });
  await retime(E.E2, {
    itemKey: 'a3',
    opened: at('2025-06-03', '09:00'),
    due: at('2025-06-03', '11:00'),
    acknowledged: at('2025-06-03', '10:30'),
    withinDeadline: true,
    stance: at('2025-06-03', '11:00'),
    action: at('2025-06-03', '11:30'),
  });
  await retime(E.E3, { itemKey: 'a5', opened: at('2025-06-09', '09:00'), due: at('2025-06-11', '09:00') });
  await retime(E.E4, {
    itemKey: 'a7',
    opened: at('2025-06-11', '09:00'),
    due: at('2025-06-11', '13:00'),
    resolved: at('2025-06-11', '10:00'),
  });
  await retime(E.E5, {
    itemKey: 'a8',
    opened: at('2025-06-16', '09:00'),
    due: at('2025-06-17', '09:00'),
    acknowledged: at('2025-06-16', '15:00'),
    withinDeadline: true,
    stance: at('2025-06-16', '15:30'),
    resolved: at('2025-06-26', '09:00'),
  });
  await retime(E.E6, {
    itemKey: 'a9',
    opened: at('2025-06-17', '09:00'),
    due: at('2025-06-17', '13:00'),
    acknowledged: at('2025-06-17', '11:00'),
    withinDeadline: true,
    stance: at('2025-06-17', '11:15'),
    action: at('2025-06-17', '11:30'),
    resolved: at('2025-06-20', '09:00'),
  });
  await retime(E7, { itemKey: 'a6', opened: at('2025-06-29', '20:00'), due: at('2025-07-02', '20:00') });
  await retime(E.E8, {
    itemKey: 'a10',
    opened: at('2025-06-18', '09:00'),
    due: at('2025-06-19', '09:00'),
    acknowledged: at('2025-06-18', '10:00'),
    withinDeadline: true,
    stance: at('2025-06-18', '10:30'),
    resolved: at('2025-06-19', '09:00'),
  });
  await retime(E.E9, {
    itemKey: 'a11',
    opened: at('2025-06-19', '09:00'),
    due: at('2025-06-20', '09:00'),
    acknowledged: at('2025-06-19', '09:30'),
    withinDeadline: true,
    stance: at('2025-06-19', '09:45'),
  });
  // Items resolved at the briefing, and by the ward without an escalation.
  const resolvedAt: Record<string, string> = {
    p2: at('2025-05-19', '09:30'),
    a4: at('2025-06-04', '09:30'),
    b5: at('2025-06-06', '09:30'),
    b3: at('2025-06-24', '12:00'),
    b2: at('2025-07-10', '12:00'),
  };
  for (const [key, when] of Object.entries(resolvedAt)) {
    await db.execute(sql`UPDATE items SET resolved_at = ${ts(when)} WHERE id = ${items[key]}`);
  }

  // Alignment and threads, pinned to the design (see the header).
  const alignment: Record<string, string> = {
    p1: 'aligned_for_change',
    a1: 'aligned_for_change',
    a3: 'aligned_for_change',
    a8: 'clinical_only',
    a9: 'aligned_for_change',
    a10: 'aligned_no_change',
    a11: 'managerial_only',
  };
  const thread: Record<string, string> = { a5: items.p1!, a8: items.p1!, b1: items.p4!, b2: items.p4! };
  for (const [key, id] of Object.entries(items)) {
    await db.execute(sql`
      UPDATE items SET alignment = ${alignment[key] ?? 'pending'}, thread_id = ${thread[key] ?? null}::uuid WHERE id = ${id}`);
  }
  // Every resolved problem or risk now carries a 2025 resolution time.
  const [stray] = rowsOf(
    await db.execute(sql`
    SELECT count(*)::int AS n FROM items WHERE organisation_id = ${org.id} AND resolved_at > '2025-12-31'`),
  ) as { n: number }[];
  expect(stray!.n).toBe(0);

  const [orgRow] = rowsOf(await db.execute(sql`SELECT name FROM organisations WHERE id = ${org.id}`)) as {
    name: string;
  }[];
  return {
    org,
    other,
    wards,
    organisationName: orgRow!.name,
    items,
    escalations: { ...E, E7 },
    priorities: { PR1, PR2, PR3, PR4 },
  };
}
