import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { escalations, items } from '../../src/db/schema.js';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { eventsOf, nextDate, notificationsOf, raiseHighRiskItem } from '../helpers/escalation.js';
import {
  expectProblem,
  get,
  post,
  type ApiResponse,
  type Organisation,
  type UntypedJson,
} from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

const reason = 'Recorded on the wrong ward: this happened on the ward next door';
const SCANNER = 'Bladder scanner out of action again on the ward';

/**
 * Three briefings on consecutive dates, each repeating the same problem (one thread). The second
 * (detected) joins the first's escalation; the manager then resolves it, which resolves both, so
 * the third names the first (detection matches open items only) and opens an escalation of its own.
 */
async function threeRaisings() {
  const ward = org.wards[0]!;
  const dates = [nextDate(), nextDate(), nextDate()];
  const raised: UntypedJson[] = [];
  for (const date of dates) {
    if (raised.length === 2) await resolveEscalation(raised[0].escalation.id as string);
    const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date,
      items: [
        {
          kind: 'problem',
          category: 'equipment',
          description: SCANNER,
          consequence: 4,
          likelihood: 4,
          needsChange: true,
          ...(raised.length === 2 ? { recurrenceOf: raised[0].id } : {}),
        },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    raised.push(res.body.items[0]);
  }
  return { dates, raised };
}

async function resolveEscalation(id: string) {
  const token = org.middleManager.token;
  expect((await post(ctx.app, `/v1/escalations/${id}/acknowledge`, token, {})).status).toBe(200);
  const resolved = await post(ctx.app, `/v1/escalations/${id}/resolve`, token, {
    outcome: 'mitigated',
    note: 'A loan scanner until the repair',
  });
  expect(resolved.status, resolved.raw).toBe(200);
}

const daysAgo = (days: number) => addDays(localDateOf(new Date()), -days);

/** Every list and report that could show the item, as the API answers them, by name. */
async function everyReading(from: string, to: string, briefingId: string) {
  const ward = org.wards[0]!;
  const period = `from=${from}&to=${to}`;
  const reads: Record<string, [string, string]> = {
    'briefing list': [`/v1/briefings?wardId=${ward.id}&from=${from}&to=${to}`, org.adminToken],
    briefing: [`/v1/briefings/${briefingId}`, org.adminToken],
    'item list': [`/v1/items?wardId=${ward.id}&from=${from}&to=${to}`, org.adminToken],
    'item list by band': [`/v1/items?band=extreme&status=open`, org.adminToken],
    'persistent issues': [`/v1/items?persistent=true&wardId=${ward.id}`, org.adminToken],
    'briefing pack': [`/v1/wards/${ward.id}/briefing-pack?date=${to}`, ward.deviceToken],
    'briefing pack (html)': [`/v1/wards/${ward.id}/briefing-pack?date=${to}&format=html`, ward.deviceToken],
    inbox: ['/v1/inbox', org.middleManager.token],
    'inbox, resolved': ['/v1/inbox?state=resolved', org.middleManager.token],
    unrouted: [`/v1/wards/${ward.id}/unrouted`, org.adminToken],
    governance: [`/v1/reports/governance?${period}`, org.governance.token],
    // Escalations count by the day they opened: today.
    'governance, this week': [`/v1/reports/governance?from=${daysAgo(6)}&to=${daysAgo(0)}`, org.governance.token],
    'spc, acknowledgements this week': [
      `/v1/reports/spc?metric=ack_within_deadline&from=${daysAgo(6)}&to=${daysAgo(0)}`,
      org.governance.token,
    ],
    'governance (csv)': [`/v1/reports/governance?${period}&format=csv`, org.governance.token],
    alignment: [`/v1/reports/alignment?${period}`, org.governance.token],
    // Whole ISO weeks only: the two years the test dates fall in.
    spc: [`/v1/reports/spc?metric=items_raised&from=2009-12-28&to=2011-12-25`, org.governance.token],
    threats: [`/v1/reports/threats?${period}`, org.governance.token],
    'fhir export': [`/v1/exports/fhir?${period}`, org.governance.token],
    priorities: ['/v1/priorities', org.adminToken],
  };
  const answers: Record<string, ApiResponse> = {};
  for (const [name, [url, token]] of Object.entries(reads)) {
    const res = await get(ctx.app, url, token);
    expect(res.status, `${name}: ${res.raw.slice(0, 300)}`).toBe(200);
    answers[name] = res;
  }
  return answers;
}

describe('voiding an item entered in error', () => {
  it('takes it out of every list and report, keeps it in the audit trail, and closes its escalation', async () => {
    const { dates, raised } = await threeRaisings();
    const [first, second, voided] = raised as [UntypedJson, UntypedJson, UntypedJson];
    expect(voided.recurrence).toMatchObject({ threadId: first.id, timesRaised: 3 });
    const priority = await post(ctx.app, '/v1/priorities', org.adminToken, {
      title: 'Working equipment',
      level: 'organisation',
      ownerStaffId: org.seniorManager.id,
    });
    expect(priority.status).toBe(201);
    const link = await post(ctx.app, `/v1/items/${voided.id}/priorities`, org.clinician.token, {
      priorityId: priority.body.id,
    });
    expect(link.status, link.raw).toBe(200);
    const from = dates[0]!;
    const to = dates[2]!;

    const before = await everyReading(from, to, voided.briefingId);
    const showing = ['briefing list', 'briefing', 'item list', 'item list by band', 'persistent issues', 'inbox'];
    for (const name of [...showing, 'threats', 'governance', 'fhir export']) {
      expect(before[name]!.raw, `${name} shows the item before it is voided`).toContain(voided.id);
    }
    expect(before['briefing pack (html)']!.raw).toContain(SCANNER);

    const res = await post(ctx.app, `/v1/items/${voided.id}/void`, org.clinician.token, { reason });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({
      id: voided.id,
      voidedAt: expect.any(String),
      correctionId: expect.any(String),
      closedEscalationId: voided.escalation.id,
    });

    const after = await everyReading(from, to, voided.briefingId);
    for (const [name, answer] of Object.entries(after)) {
      expect(answer.raw, `${name} still shows the voided item`).not.toContain(voided.id);
      expect(answer.raw, `${name} still shows the voided escalation`).not.toContain(voided.escalation.id);
    }
    // The aggregates count one item, one escalation and one thread raising fewer.
    const gov = (r: typeof before) => r.governance!.body;
    expect(gov(after).items.overall.total.current).toBe(gov(before).items.overall.total.current - 1);
    const opened = (r: typeof before) => r['governance, this week']!.body.escalations.overall.opened;
    expect(opened(after)).toBe(opened(before) - 1);
    expect(gov(after).alignment.items).toBe(gov(before).alignment.items - 1);
    expect(after.alignment!.body.items).toBe(before.alignment!.body.items - 1);
    const weeks = (r: typeof before) =>
      r.spc!.body.points.reduce((sum: number, point: { value: number }) => sum + point.value, 0);
    expect(weeks(after)).toBe(weeks(before) - 1);
    const priorityOf = (r: typeof before) =>
      r.priorities!.body.data.find((p: { id: string }) => p.id === priority.body.id);
    expect([priorityOf(before).linkedItems, priorityOf(after).linkedItems]).toEqual([1, 0]);
    // Its thread: the repeats before it, raised twice now. Both were resolved with the manager's
    // resolution, so with the voided raising gone no open item of the thread is persistent.
    const thread = (await get(ctx.app, `/v1/items/${second.id}`, org.adminToken)).body;
    expect(thread.recurrence).toMatchObject({ threadId: first.id, timesRaised: 2 });
    expect(thread.status).toBe('resolved');
    const persistent = after['persistent issues']!.body.data.map((i: { id: string }) => i.id);
    expect(persistent).not.toContain(first.id);
    expect(persistent).not.toContain(second.id);

    // Read by id it is gone too; the audit trail and its corrections keep it.
    expectProblem(await get(ctx.app, `/v1/items/${voided.id}`, org.adminToken), 404);
    const timeline = await get(ctx.app, `/v1/items/${voided.id}/timeline`, org.adminToken);
    expect(timeline.status).toBe(200);
    expect(timeline.body.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['raised', 'voided', 'closed']),
    );
    const corrections = await get(ctx.app, `/v1/items/${voided.id}/corrections`, org.governance.token);
    expect(corrections.body.data).toEqual([expect.objectContaining({ action: 'voided', reason })]);

    // Its escalation closed with the outcome voided; the timer stops; the manager is told.
    const [escalation] = await ctx.database.db
      .select()
      .from(escalations)
      .where(eq(escalations.id, voided.escalation.id));
    expect(escalation).toMatchObject({ state: 'resolved', outcome: 'voided', nextStepAt: null, step: 2 });
    expect((await eventsOf(ctx, escalation!.id)).map((e) => e.type)).toEqual(['started', 'closed']);
    expect((await notificationsOf(ctx, escalation!.id)).map((n) => n.type)).toEqual(['assigned', 'closed']);
    expect(
      await runEscalationStep({ db: ctx.database.db }, { escalationId: escalation!.id, step: 1 }, escalation!.dueAt),
    ).toBe('stale');
  });

  it('is never matched as the item a later one repeats, nor may one name it', async () => {
    const ward = org.wards[0]!;
    const item = await raiseHighRiskItem(ctx, org, {
      category: 'infection_prevention',
      description: 'No side room free for isolation',
    });
    expect((await post(ctx.app, `/v1/items/${item.id}/void`, ward.deviceToken, { reason })).status).toBe(200);
    const later = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: nextDate(),
      items: [
        {
          kind: 'problem',
          category: 'infection_prevention',
          description: 'No side room free for isolation',
          consequence: 3,
          likelihood: 3,
        },
      ],
    });
    expect(later.status).toBe(201);
    expect(later.body.items[0].recurrence).toMatchObject({ recurrenceOf: null, timesRaised: 1 });
    const named = await post(ctx.app, '/v1/briefings', ward.deviceToken, {
      wardId: ward.id,
      date: nextDate(),
      items: [
        {
          kind: 'problem',
          category: 'infection_prevention',
          description: 'Side rooms',
          consequence: 3,
          likelihood: 3,
          recurrenceOf: item.id,
        },
      ],
    });
    expectProblem(named, 400);
  });

  it('refuses a second void, a void without a reason, another organisation, and managers', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/void`, org.adminToken, {}), 400);
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/void`, other.adminToken, { reason }), 404);
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/void`, org.middleManager.token, { reason }), 403);
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/void`, org.governance.token, { reason }), 403);
    const [untouched] = await ctx.database.db.select().from(items).where(eq(items.id, item.id));
    expect(untouched!.voidedAt).toBeNull();
    expect((await post(ctx.app, `/v1/items/${item.id}/void`, org.adminToken, { reason })).status).toBe(200);
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/void`, org.adminToken, { reason }), 409);
    // Nor can the ward resolve it, escalate it or take a position on it any more.
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/resolve`, org.clinician.token, { note: 'Fixed' }), 404);
    expectProblem(await post(ctx.app, `/v1/items/${item.id}/escalate`, org.clinician.token, { reason: 'Again' }), 404);
  });
});
