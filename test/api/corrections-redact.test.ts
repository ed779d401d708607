import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/sql.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { nextDate, raiseHighRiskItem } from '../helpers/escalation.js';
import { call, expectProblem, get, newKey, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({
    organisations: 2,
    policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }),
  }));
});
afterAll(() => ctx?.close());

/** A name the identifier screening cannot know, typed where it should never have been. */
const NAME = 'Zelphine Quarrington';
const reason = 'A patient was named in the free text';
const noCopies = {
  positions: 0,
  escalations: 0,
  seniorDecisions: 0,
  plannedActions: 0,
  escalationEvents: 0,
  corrections: 0,
  storedAnswers: 0,
};

/** Every table of the service's schema, and how many of its rows hold `text` anywhere. */
async function rowsHolding(text: string) {
  const tables = await rows<{ name: string }>(
    ctx.database.db,
    sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await rows<{ n: number }>(
      ctx.database.db,
      sql`select count(*)::int as n from ${sql.identifier(name)} t where t::text like ${`%${text}%`}`,
    );
    if (row!.n > 0) found[name] = row!.n;
  }
  return found;
}

/** A briefing whose item names the patient in its description and in the clinical rationale. */
function briefingNamingThePatient(wardId: string) {
  return {
    wardId,
    date: nextDate(),
    items: [
      {
        kind: 'problem',
        category: 'clinical_process',
        description: `${NAME} fell twice overnight; bed rails not checked`,
        consequence: 4,
        likelihood: 3,
        needsChange: true,
        clinicalRationale: `Falls assessment for ${NAME} was not repeated`,
      },
    ],
  };
}

/** POST /v1/briefings with an Idempotency-Key: a second call with the same key replays the stored answer. */
const recordWithKey = (token: string, body: object, key: string) =>
  call(ctx.app, { method: 'POST', url: '/v1/briefings', token, payload: body, headers: { 'idempotency-key': key } });

/** The manager acknowledges the escalation and resolves it with a note that names the patient too. */
async function resolveNamingThePatient(escalationId: string) {
  expect((await post(ctx.app, `/v1/escalations/${escalationId}/acknowledge`, org.middleManager.token, {})).status).toBe(
    200,
  );
  const resolved = await post(ctx.app, `/v1/escalations/${escalationId}/resolve`, org.middleManager.token, {
    outcome: 'mitigated',
    note: `Bed rails checked for ${NAME} on every round`,
  });
  expect(resolved.status, resolved.raw).toBe(200);
}

/** The trail: who redacted what and why (by the correction), never the text, and the chain still verifies. */
async function expectRedactionAudited(itemId: string, correctionId: string) {
  const timeline = await get(ctx.app, `/v1/items/${itemId}/timeline`, org.governance.token);
  const redaction = timeline.body.data.find((e: { action: string }) => e.action === 'redacted');
  expect(redaction).toMatchObject({
    actor: { type: 'staff', role: 'org_admin' },
    changes: {
      fields: ['description', 'clinicalRationale', 'resolutionNote'],
      correctionId,
      reason: { text: 'redacted', length: reason.length },
    },
  });
  expect(timeline.raw).not.toContain(NAME);
  const corrections = await get(ctx.app, `/v1/items/${itemId}/corrections`, org.governance.token);
  expect(corrections.body.data).toEqual([expect.objectContaining({ action: 'redacted', reason })]);
  expect((await get(ctx.app, '/v1/audit/verify', org.adminToken)).body).toMatchObject({ ok: true });
}

describe('redacting free text that should never have been stored', () => {
  it('replaces the text and every copy of it, and the audit trail records who and why, never the text', async () => {
    const ward = org.wards[0]!;
    const key = newKey();
    const body = briefingNamingThePatient(ward.id);
    const recorded = await recordWithKey(ward.deviceToken, body, key);
    expect(recorded.status, recorded.raw).toBe(201);
    const item = recorded.body.items[0];
    await resolveNamingThePatient(item.escalation.id);
    expect((await get(ctx.app, '/v1/audit/verify', org.adminToken)).body).toMatchObject({ ok: true });
    const before = await rowsHolding(NAME);
    expect(Object.keys(before).sort()).toEqual(['escalations', 'idempotency_keys', 'items', 'position_changes']);

    const res = await post(ctx.app, `/v1/items/${item.id}/redact`, org.adminToken, {
      fields: {
        description: 'A patient fell twice overnight; bed rails not checked',
        clinicalRationale: 'Falls assessment was not repeated',
        resolutionNote: 'Bed rails checked on every round',
      },
      reason,
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({
      id: item.id,
      fields: ['description', 'clinicalRationale', 'resolutionNote'],
      correctionId: expect.any(String),
      copies: { ...noCopies, positions: 1, escalations: 1, storedAnswers: 1 },
    });

    expect(await rowsHolding(NAME)).toEqual({});
    const read = await get(ctx.app, `/v1/items/${item.id}`, org.adminToken);
    expect(read.body).toMatchObject({
      description: 'A patient fell twice overnight; bed rails not checked',
      clinicalPosition: { rationale: 'Falls assessment was not repeated' },
      resolution: { note: 'Bed rails checked on every round' },
    });
    // A retry of the original request replays the stored answer, redacted.
    const replay = await recordWithKey(ward.deviceToken, body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.raw).not.toContain(NAME);
    expect(replay.body.items[0].description).toBe('A patient fell twice overnight; bed rails not checked');

    await expectRedactionAudited(item.id, res.body.correctionId);
  });

  it("reaches what managers wrote about the item: positions' rationale and barrier notes, senior decisions' reasons", async () => {
    // Another name, so what this test leaves (if it fails) cannot fail the others.
    const MANAGERS_NAME = 'Ottoline Brackenbury';
    const item = await raiseHighRiskItem(ctx, org, { needsChange: true });
    const escalationId: string = item.escalation.id;
    const m = org.middleManager.token;
    expect((await post(ctx.app, `/v1/escalations/${escalationId}/acknowledge`, m, {})).status).toBe(200);
    const keyed = (url: string, token: string, payload: object) =>
      call(ctx.app, { method: 'POST', url, token, payload, headers: { 'idempotency-key': newKey() } });
    const stance = await keyed(`/v1/escalations/${escalationId}/position`, m, {
      stance: 'disagree',
      rationale: `Spoke to ${MANAGERS_NAME}'s daughter; not a priority`,
      barriers: ['funding'],
      barrierNote: `Capital bid refused after ${MANAGERS_NAME} complained`,
    });
    expect(stance.status, stance.raw).toBe(200);
    const decided = await keyed(`/v1/items/${item.id}/senior-decision`, org.seniorManager.token, {
      decision: 'accept_risk',
      reason: `Accepted after meeting ${MANAGERS_NAME}`,
      reviewDate: '2099-01-01',
    });
    expect(decided.status, decided.raw).toBe(201);
    const before = await rowsHolding(MANAGERS_NAME);
    expect(Object.keys(before).sort()).toEqual([
      'escalations',
      'idempotency_keys',
      'position_changes',
      'senior_decisions',
    ]);

    const res = await post(ctx.app, `/v1/items/${item.id}/redact`, org.adminToken, {
      fields: {
        managerRationale: 'Not a priority',
        barrierNote: 'Capital bid refused',
        seniorDecisionReason: 'Accepted after review',
      },
      reason,
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({
      id: item.id,
      fields: ['managerRationale', 'barrierNote', 'seniorDecisionReason'],
      correctionId: expect.any(String),
      copies: { ...noCopies, positions: 1, escalations: 1, seniorDecisions: 1, storedAnswers: 2 },
    });
    expect(await rowsHolding(MANAGERS_NAME)).toEqual({});
    const shown = await get(ctx.app, `/v1/escalations/${escalationId}`, org.seniorManager.token);
    expect(shown.body.managerPosition).toMatchObject({
      rationale: 'Not a priority',
      barrierNote: 'Capital bid refused',
    });
    expect((await get(ctx.app, '/v1/audit/verify', org.adminToken)).body).toMatchObject({ ok: true });
    // An item no manager has written about holds no such text to redact.
    const bare = await raiseHighRiskItem(ctx, org);
    const none = expectProblem(
      await post(ctx.app, `/v1/items/${bare.id}/redact`, org.adminToken, {
        fields: { barrierNote: 'Nothing', seniorDecisionReason: 'Nothing' },
        reason,
      }),
      400,
    );
    expect(none.errors).toEqual([
      { path: 'body.fields.barrierNote', message: 'the item has no such text' },
      { path: 'body.fields.seniorDecisionReason', message: 'the item has no such text' },
    ]);
  });

  it("reaches the escalation's planned actions, comments and reasons, and earlier corrections' reasons", async () => {
    const N = 'Perpetua Hollingdrake';
    const item = await raiseHighRiskItem(ctx, org);
    const escalationId: string = item.escalation.id;
    const act = async (action: string, body: object) => {
      const res = await post(ctx.app, `/v1/escalations/${escalationId}/${action}`, org.middleManager.token, body);
      expect(res.status, res.raw).toBe(200);
    };
    await act('acknowledge', {});
    await act('actions', { description: `Call ${N} about the pumps`, dueDate: '2099-01-01' });
    await act('comment', { text: `${N} phoned again` });
    await act('snooze', { until: new Date(Date.now() + 3_600_000).toISOString(), reason: `Waiting for ${N}` });
    await act('reassign', { staffId: org.seniorManager.id, reason: `${N} asked for the matron` });
    const amended = await call(ctx.app, {
      method: 'PATCH',
      url: `/v1/items/${item.id}`,
      token: org.adminToken,
      payload: { likelihood: 4, reason: `Regraded after ${N} called` },
    });
    expect(amended.status, amended.raw).toBe(200);
    // A low-risk item the ward escalates by hand, giving a reason.
    const low = await raiseHighRiskItem(ctx, org, { consequence: 1, likelihood: 2 });
    const byHand = await post(ctx.app, `/v1/items/${low.id}/escalate`, org.wards[0]!.deviceToken, {
      reason: `${N} is at risk of falling`,
    });
    expect(byHand.status, byHand.raw).toBe(201);
    expect(Object.keys(await rowsHolding(N)).sort()).toEqual([
      'escalation_actions',
      'escalation_events',
      'escalations',
      'item_corrections',
    ]);

    const res = await post(ctx.app, `/v1/items/${item.id}/redact`, org.adminToken, {
      fields: {
        plannedActions: 'Call the family about the pumps',
        comments: 'The family phoned again',
        escalationReasons: 'Waiting for the family',
        correctionReasons: 'Regraded after a call',
      },
      reason,
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.copies).toEqual({ ...noCopies, plannedActions: 1, escalationEvents: 3, corrections: 1 });
    const handRedacted = await post(ctx.app, `/v1/items/${low.id}/redact`, org.adminToken, {
      fields: { escalationReasons: 'A patient is at risk of falling' },
      reason,
    });
    expect(handRedacted.status, handRedacted.raw).toBe(200);
    expect(handRedacted.body.copies).toEqual({ ...noCopies, escalations: 1 });

    expect(await rowsHolding(N)).toEqual({});
    const shown = await get(ctx.app, `/v1/escalations/${escalationId}`, org.seniorManager.token);
    const comment = shown.body.history.find((e: { type: string }) => e.type === 'comment');
    expect(comment.details).toMatchObject({ text: 'The family phoned again' });
    expect((await get(ctx.app, '/v1/audit/verify', org.adminToken)).body).toMatchObject({ ok: true });
  });

  it('reaches a voided item too', async () => {
    const item = await raiseHighRiskItem(ctx, org, { description: `Fall for ${NAME} in the bathroom` });
    expect((await post(ctx.app, `/v1/items/${item.id}/void`, org.adminToken, { reason: 'Wrong ward' })).status).toBe(
      200,
    );
    const res = await post(ctx.app, `/v1/items/${item.id}/redact`, org.adminToken, {
      fields: { description: 'Fall in the bathroom' },
      reason,
    });
    expect(res.status, res.raw).toBe(200);
    expect(await rowsHolding(NAME)).toEqual({});
  });

  it('is for organisation administrators only, with a reason, for text the item holds, without identifiers', async () => {
    const item = await raiseHighRiskItem(ctx, org);
    const redact = (token: string, payload: unknown) => post(ctx.app, `/v1/items/${item.id}/redact`, token, payload);
    const valid = { fields: { description: 'Pump fault' }, reason };
    for (const token of [
      org.clinician.token,
      org.wards[0]!.deviceToken,
      org.middleManager.token,
      org.governance.token,
    ]) {
      expectProblem(await redact(token, valid), 403);
    }
    expectProblem(await redact(other.adminToken, valid), 404);
    expectProblem(await redact(org.adminToken, { fields: { description: 'Pump fault' } }), 400);
    expectProblem(await redact(org.adminToken, { fields: {}, reason }), 400);
    const empty = expectProblem(await redact(org.adminToken, { fields: { actionTaken: 'Nothing' }, reason }), 400);
    expect(empty.errors).toEqual([{ path: 'body.fields.actionTaken', message: 'the item has no such text' }]);
    const identifier = expectProblem(
      await redact(org.adminToken, { fields: { description: 'Pump fault, patient 943 476 5919' }, reason }),
      422,
    );
    expect(identifier.errors).toEqual([
      { path: 'body.fields.description', message: 'contains what looks like an NHS number' },
    ]);
    const unchanged = await get(ctx.app, `/v1/items/${item.id}`, org.adminToken);
    expect(unchanged.body.description).toBe(item.description);
    expect((await get(ctx.app, `/v1/items/${item.id}/corrections`, org.adminToken)).body.data).toEqual([]);
  });
});

describe('stored answers of other requests', () => {
  it('are left as they were, even where they hold the same short text', async () => {
    const ward = org.wards[0]!;
    const briefingWith = (clinicalRationale: string, description: string) => ({
      wardId: ward.id,
      date: nextDate(),
      items: [
        {
          kind: 'problem',
          category: 'equipment',
          description,
          consequence: 2,
          likelihood: 2,
          needsChange: true,
          clinicalRationale,
        },
      ],
    });
    const first = await recordWithKey(ward.deviceToken, briefingWith('Seen', 'Hoist battery flat'), newKey());
    expect(first.status, first.raw).toBe(201);
    // Another briefing's answer: "Seen" as a whole value, and inside a longer text.
    const otherKey = newKey();
    const otherBody = briefingWith('Seen', 'Seen twice: suction unit cracked');
    const otherAnswer = await recordWithKey(ward.deviceToken, otherBody, otherKey);
    expect(otherAnswer.status, otherAnswer.raw).toBe(201);

    const res = await post(ctx.app, `/v1/items/${first.body.items[0].id}/redact`, org.adminToken, {
      fields: { clinicalRationale: 'Reviewed' },
      reason,
    });
    expect(res.status, res.raw).toBe(200);
    // The first briefing's own answer is redacted; the other's is not touched.
    expect(res.body.copies).toMatchObject({ storedAnswers: 1 });
    const replayed = await recordWithKey(ward.deviceToken, otherBody, otherKey);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.raw).toBe(otherAnswer.raw);
  });
});
