/**
 * The reports dataset after its briefings (dataset.ts, whose header has the design table): the
 * managers' actions on each escalation, the ward's own resolutions, the priorities, and then
 * every timestamp moved to its designed instant and alignment and threads pinned to the design.
 */
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { runEscalationStep } from '../../src/escalations/timer.js';
import type { TestContext } from '../helpers/context.js';
import { patch, post, type Organisation } from '../helpers/fixtures.js';
import { at, rowsOf, type AutomaticEscalations, type Dataset, type Wards } from './dataset-shape.js';

type Items = Record<string, string>;

/** What each escalation goes through; returns E7, the one the ward starts by hand. */
export async function actOnEscalations(
  ctx: TestContext,
  org: Organisation,
  wards: Wards,
  items: Items,
  E: AutomaticEscalations,
): Promise<string> {
  const app = ctx.app;
  const db = ctx.database.db;
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
    barriers: ['funding', 'equipment_supply'],
    barrierNote: 'No capital this year for a second scanner',
  });
  await act(mm, E.E5, 'resolve', { outcome: 'risk_accepted', note: 'Sharing the scanner with the next ward' });
  // E6: acknowledged, agrees, plans an action, mitigated.
  await act(mm, E.E6, 'acknowledge');
  await act(mm, E.E6, 'position', { stance: 'agree', rationale: 'Agreed: falls assessments must be on time' });
  await act(mm, E.E6, 'actions', { description: 'Audit falls assessments weekly', dueDate: '2025-07-31' });
  await act(mm, E.E6, 'resolve', { outcome: 'mitigated', note: 'Weekly audit in place' });
  // E8: acknowledged, disagrees, not actionable.
  await act(mm, E.E8, 'acknowledge');
  await act(mm, E.E8, 'position', {
    stance: 'disagree',
    rationale: 'Changeover handover is already protected',
    barriers: ['workforce', 'funding'],
  });
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

  return E7;
}

/** The priorities, through the API, and the items linked to them. */
export async function setUpPriorities(
  ctx: TestContext,
  org: Organisation,
  wards: Wards,
  items: Items,
): Promise<Dataset['priorities']> {
  const app = ctx.app;
  const sm = org.seniorManager.token;
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
  });
  const link = async (key: string, priorityId: string) => {
    const res = await post(app, `/v1/items/${items[key]}/priorities`, sm, { priorityId });
    expect(res.status, res.raw).toBe(200);
  };
  for (const key of ['a1', 'a5', 'a8', 'p1']) await link(key, PR1);
  for (const key of ['p4', 'b1', 'b2']) await link(key, PR2);
  // Linked while it was active, then retired: only an active priority takes new links.
  await link('a9', PR4);
  const retired = await patch(app, `/v1/priorities/${PR4}`, org.adminToken, { active: false });
  expect(retired.status, retired.raw).toBe(200);
  return { PR1, PR2, PR3, PR4 };
}

const ts = (value: string | null) => (value === null ? sql`NULL::timestamptz` : sql`${value}::timestamptz`);

interface Times {
  opened: string;
  due: string;
  acknowledged?: string;
  withinDeadline?: boolean;
  stance?: string;
  action?: string;
  resolved?: string;
  itemKey: string;
}

/** Moves one escalation, its events and actions, and its item's resolution to the designed instants. */
async function retime(ctx: TestContext, items: Items, id: string, t: Times) {
  const db = ctx.database.db;
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
  // The manager's answer, as the alignment history keeps it (the models read alignment there).
  if (t.stance) {
    await db.execute(sql`
        UPDATE position_changes SET created_at = ${ts(t.stance)}
        WHERE item_id = ${items[t.itemKey]} AND side = 'managerial'`);
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
}

/** Each escalation's designed instants, in the order they are set. */
const ESCALATION_TIMES: [string, Times][] = [
  [
    'E0',
    {
      itemKey: 'p1',
      opened: at('2025-05-12', '09:00'),
      due: at('2025-05-13', '09:00'),
      acknowledged: at('2025-05-12', '12:00'),
      withinDeadline: true,
      stance: at('2025-05-12', '12:30'),
      action: at('2025-05-12', '13:00'),
    },
  ],
  [
    'E1',
    {
      itemKey: 'a1',
      opened: at('2025-06-02', '09:00'),
      due: at('2025-06-02', '13:00'),
      acknowledged: at('2025-06-02', '10:00'),
      withinDeadline: true,
      stance: at('2025-06-02', '10:30'),
      resolved: at('2025-06-06', '09:00'),
    },
  ],
  [
    'E2',
    {
      itemKey: 'a3',
      opened: at('2025-06-03', '09:00'),
      due: at('2025-06-03', '11:00'),
      acknowledged: at('2025-06-03', '10:30'),
      withinDeadline: true,
      stance: at('2025-06-03', '11:00'),
      action: at('2025-06-03', '11:30'),
    },
  ],
  ['E3', { itemKey: 'a5', opened: at('2025-06-09', '09:00'), due: at('2025-06-11', '09:00') }],
  [
    'E4',
    {
      itemKey: 'a7',
      opened: at('2025-06-11', '09:00'),
      due: at('2025-06-11', '13:00'),
      resolved: at('2025-06-11', '10:00'),
    },
  ],
  [
    'E5',
    {
      itemKey: 'a8',
      opened: at('2025-06-16', '09:00'),
      due: at('2025-06-17', '09:00'),
      acknowledged: at('2025-06-16', '15:00'),
      withinDeadline: true,
      stance: at('2025-06-16', '15:30'),
      resolved: at('2025-06-26', '09:00'),
    },
  ],
  [
    'E6',
    {
      itemKey: 'a9',
      opened: at('2025-06-17', '09:00'),
      due: at('2025-06-17', '13:00'),
      acknowledged: at('2025-06-17', '11:00'),
      withinDeadline: true,
      stance: at('2025-06-17', '11:15'),
      action: at('2025-06-17', '11:30'),
      resolved: at('2025-06-20', '09:00'),
    },
  ],
  ['E7', { itemKey: 'a6', opened: at('2025-06-29', '20:00'), due: at('2025-07-02', '20:00') }],
  [
    'E8',
    {
      itemKey: 'a10',
      opened: at('2025-06-18', '09:00'),
      due: at('2025-06-19', '09:00'),
      acknowledged: at('2025-06-18', '10:00'),
      withinDeadline: true,
      stance: at('2025-06-18', '10:30'),
      resolved: at('2025-06-19', '09:00'),
    },
  ],
  [
    'E9',
    {
      itemKey: 'a11',
      opened: at('2025-06-19', '09:00'),
      due: at('2025-06-20', '09:00'),
      acknowledged: at('2025-06-19', '09:30'),
      withinDeadline: true,
      stance: at('2025-06-19', '09:45'),
    },
  ],
];

/** Items resolved at the briefing, and by the ward without an escalation. */
const RESOLVED_AT: Record<string, string> = {
  p2: at('2025-05-19', '09:30'),
  a4: at('2025-06-04', '09:30'),
  b5: at('2025-06-06', '09:30'),
  b3: at('2025-06-24', '12:00'),
  b2: at('2025-07-10', '12:00'),
};

/** Times: moves everything to its designed instant. */
export async function retimeToDesign(ctx: TestContext, items: Items, escalations: Dataset['escalations']) {
  for (const [name, times] of ESCALATION_TIMES) await retime(ctx, items, escalations[name]!, times);
  for (const [key, when] of Object.entries(RESOLVED_AT)) {
    await ctx.database.db.execute(sql`UPDATE items SET resolved_at = ${ts(when)} WHERE id = ${items[key]}`);
  }
}

/** Alignment and threads, pinned to the design (see dataset.ts's header). */
const ALIGNMENT: Record<string, string> = {
  p1: 'aligned_for_change',
  a1: 'aligned_for_change',
  a3: 'aligned_for_change',
  a8: 'clinical_only',
  a9: 'aligned_for_change',
  a10: 'aligned_no_change',
  a11: 'managerial_only',
};

export async function pinAlignmentAndThreads(ctx: TestContext, org: Organisation, items: Items) {
  const db = ctx.database.db;
  const thread: Record<string, string> = { a5: items.p1!, a8: items.p1!, b1: items.p4!, b2: items.p4! };
  for (const [key, id] of Object.entries(items)) {
    await db.execute(sql`
      UPDATE items SET alignment = ${ALIGNMENT[key] ?? 'pending'}, thread_id = ${thread[key] ?? null}::uuid,
        recurrence_of = coalesce(recurrence_of, ${thread[key] ?? null}::uuid),
        recurrence_source = coalesce(recurrence_source, ${thread[key] ? 'named' : null})
      WHERE id = ${id}`);
  }
  // Every resolved problem or risk now carries a 2025 resolution time.
  const [stray] = rowsOf(
    await db.execute(sql`
    SELECT count(*)::int AS n FROM items WHERE organisation_id = ${org.id} AND resolved_at > '2025-12-31'`),
  ) as { n: number }[];
  expect(stray!.n).toBe(0);
}

export async function organisationName(ctx: TestContext, org: Organisation): Promise<string> {
  const [orgRow] = rowsOf(await ctx.database.db.execute(sql`SELECT name FROM organisations WHERE id = ${org.id}`)) as {
    name: string;
  }[];
  return orgRow!.name;
}
