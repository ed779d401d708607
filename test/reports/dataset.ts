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
import { expect } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { putPolicy } from '../helpers/escalation.js';
import { createOrganisation, post, type Organisation } from '../helpers/fixtures.js';
import { briefingPlan, STANDARD, type BriefingSpec } from './dataset-plan.js';
import {
  actOnEscalations,
  organisationName,
  pinAlignmentAndThreads,
  retimeToDesign,
  setUpPriorities,
} from './dataset-history.js';
import type { AutomaticEscalations, Dataset, Wards } from './dataset-shape.js';

export { PERIOD, type Dataset, type WardInfo } from './dataset-shape.js';

export async function buildDataset(ctx: TestContext): Promise<Dataset> {
  const org = await createOrganisation(ctx.app);
  const other = await createOrganisation(ctx.app);
  const wards = await setUpWards(ctx, org);
  const { items, escalationOf } = await recordBriefings(ctx, wards);
  await recordForeignBriefing(ctx, other);
  const automatic = designedEscalations(escalationOf);
  const E7 = await actOnEscalations(ctx, org, wards, items, automatic);
  const escalations = { ...automatic, E7 };
  const priorities = await setUpPriorities(ctx, org, wards, items);
  await retimeToDesign(ctx, items, escalations);
  await pinAlignmentAndThreads(ctx, org, items);
  return {
    org,
    other,
    wards,
    organisationName: await organisationName(ctx, org),
    items,
    escalations,
    priorities,
  };
}

/** W1 and W2 come with the organisation; W3 (Surgery) and its tablet are added; only W1 gets a policy. */
async function setUpWards(ctx: TestContext, org: Organisation): Promise<Wards> {
  const app = ctx.app;
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
  return wards;
}

function briefingBody(b: BriefingSpec, wardId: string, items: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = { wardId, date: b.date, shift: b.shift ?? 'day' };
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
      ...(i.repeatOf && !i.linkedAfter ? { recurrenceOf: items[i.repeatOf] } : {}),
    }));
  }
  return body;
}

/** Every briefing of the plan, in order (a repeat names the item recorded before it). */
async function recordBriefings(ctx: TestContext, wards: Wards) {
  const items: Record<string, string> = {};
  const escalationOf: Record<string, string> = {};
  for (const b of briefingPlan()) {
    const ward = wards[b.ward];
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(b, ward.id, items));
    expect(res.status, res.raw).toBe(201);
    (b.items ?? []).forEach((spec, index) => {
      const created = res.body.items[index];
      items[spec.key] = created.id;
      if (created.escalation) escalationOf[spec.key] = created.escalation.id;
    });
  }
  return { items, escalationOf };
}

/** Another trust's briefing in the same period: never counted. */
async function recordForeignBriefing(ctx: TestContext, other: Organisation) {
  const foreign = await post(ctx.app, '/v1/briefings', other.wards[0]!.deviceToken, {
    wardId: other.wards[0]!.id,
    date: '2025-06-02',
    items: [
      { kind: 'problem', category: 'equipment', description: 'Another trust entirely', consequence: 5, likelihood: 5 },
    ],
  });
  expect(foreign.status, foreign.raw).toBe(201);
}

/** Exactly the designed escalations started automatically. */
function designedEscalations(escalationOf: Record<string, string>): AutomaticEscalations {
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
  return E;
}
