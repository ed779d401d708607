import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKeys } from '../../src/db/schema.js';
import { purgeExpiredIdempotencyKeys } from '../../src/http/idempotency.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { storedBriefings, storedIdempotencyKeys } from '../helpers/stored-rows.js';
import { eventsOf, putPolicy, raiseHighRiskItem, waitFor } from '../helpers/escalation.js';
import {
  briefingBody,
  createOrganisation,
  expectProblem,
  newKey,
  post,
  type Organisation,
} from '../helpers/fixtures.js';
import { outboxBacklog } from '../../src/queue/outbox.js';
import { jobIds } from '../../src/queue/queues.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
});
afterAll(() => ctx?.close());

let day = 0;
const nextDate = () => `2026-04-${String(++day).padStart(2, '0')}`;

const record = (token: string, body: unknown, key: string) =>
  post(ctx.app, '/v1/briefings', token, body, { 'idempotency-key': key });

describe('Idempotency-Key on POST /v1/briefings', () => {
  it('replays the stored answer for the same key and body, storing one briefing', async () => {
    const ward = org.wards[0]!;
    const body = briefingBody(ward.id, { date: nextDate() });
    const key = newKey();

    const first = await record(ward.deviceToken, body, key);
    expect(first.status, first.raw).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    for (let retry = 0; retry < 2; retry++) {
      const again = await record(ward.deviceToken, body, key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.raw).toBe(first.raw);
      expect(again.headers['content-type']).toBe(first.headers['content-type']);
    }
    expect((await storedBriefings(ctx, ward.id, body.date)).map((b) => b.id)).toEqual([first.body.id]);
  });

  it('treats the same body with its fields in another order as the same request', async () => {
    const ward = org.wards[0]!;
    const body = briefingBody(ward.id, { date: nextDate() });
    const key = newKey();
    const first = await record(ward.deviceToken, body, key);
    expect(first.status, first.raw).toBe(201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await record(ward.deviceToken, reordered, key);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });

  it('refuses the same key with a different body (422) and changes nothing', async () => {
    const ward = org.wards[0]!;
    const body = briefingBody(ward.id, { date: nextDate() });
    const key = newKey();
    const first = await record(ward.deviceToken, body, key);
    expect(first.status, first.raw).toBe(201);

    const otherDate = nextDate();
    const different = await record(ward.deviceToken, { ...body, date: otherDate }, key);
    const problem = expectProblem(different, 422);
    expect(problem.detail).toMatch(/Idempotency-Key/);
    expect(different.headers['idempotent-replayed']).toBeUndefined();
    expect(await storedBriefings(ctx, ward.id, otherDate)).toEqual([]);

    // The original is still replayed afterwards.
    const replay = await record(ward.deviceToken, body, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
  });

  it('lets exactly one of several concurrent identical requests run; the others wait for it and replay it', async () => {
    const ward = org.wards[1]!;
    const body = briefingBody(ward.id, { date: nextDate() });
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 5 }, () => record(ward.deviceToken, body, key)));

    const fresh = answers.filter((a) => a.status === 201 && a.headers['idempotent-replayed'] === undefined);
    expect(fresh, answers.map((a) => `${a.status} ${a.raw}`).join('\n')).toHaveLength(1);
    for (const answer of answers) {
      if (answer === fresh[0]) continue;
      expect(answer.status, answer.raw).toBe(201);
      expect(answer.headers['idempotent-replayed']).toBe('true');
      expect(answer.raw).toBe(fresh[0]!.raw);
    }
    expect((await storedBriefings(ctx, ward.id, body.date)).map((b) => b.id)).toEqual([fresh[0]!.body.id]);
  });

  it('keeps keys per token: the same key from another token is a separate request', async () => {
    const [first, second] = org.wards;
    const key = newKey();
    const date = nextDate();
    const a = await record(first!.deviceToken, briefingBody(first!.id, { date }), key);
    const b = await record(second!.deviceToken, briefingBody(second!.id, { date }), key);
    expect(a.status, a.raw).toBe(201);
    expect(b.status, b.raw).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.body.wardId).toBe(second!.id);

    // Same key and same body, but a clinician's token: not a replay of the device's answer.
    const clinician = await record(org.clinician.token, briefingBody(first!.id, { date }), key);
    expect(clinician.headers['idempotent-replayed']).toBeUndefined();
    expect(expectProblem(clinician, 409).existingBriefingId).toBe(a.body.id);
  });

  it('does not store a refusal: the same request is answered afresh, and the key stays bound to its body', async () => {
    const ward = org.wards[0]!;
    const date = nextDate();
    const existing = await record(ward.deviceToken, briefingBody(ward.id, { date }), newKey());
    expect(existing.status).toBe(201);
    const key = newKey();
    const body = briefingBody(ward.id, { date, facilitator: 'Someone else' });
    const conflict = await record(ward.deviceToken, body, key);
    expectProblem(conflict, 409);
    const again = await record(ward.deviceToken, body, key);
    expect(expectProblem(again, 409).existingBriefingId).toBe(existing.body.id);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect((await storedIdempotencyKeys(ctx, key)).map((row) => [row.state, row.responseBody])).toEqual([
      ['failed', null],
    ]);

    // The same key with another body (here, a date that is free) is refused and records nothing.
    const otherDate = nextDate();
    const other = await record(ward.deviceToken, briefingBody(ward.id, { date: otherDate }), key);
    expect(expectProblem(other, 422).detail).toMatch(/Idempotency-Key/);
    expect(await storedBriefings(ctx, ward.id, otherDate)).toEqual([]);
  });

  it('binds the key after a refused identifier too: the corrected text needs a new key', async () => {
    const ward = org.wards[0]!;
    const key = newKey();
    const identifying = briefingBody(ward.id, { date: nextDate() });
    const withNhsNumber = {
      ...identifying,
      items: [{ ...identifying.items[0], description: 'Patient 943 476 5919 fell' }],
    };
    expectProblem(await record(ward.deviceToken, withNhsNumber, key), 422);
    expect(expectProblem(await record(ward.deviceToken, identifying, key), 422).detail).toMatch(/Idempotency-Key/);
    expect(await storedBriefings(ctx, ward.id, identifying.date)).toEqual([]);
    const corrected = await record(ward.deviceToken, identifying, newKey());
    expect(corrected.status, corrected.raw).toBe(201);
  });

  it('does not store a request that failed validation: the corrected body may reuse the key', async () => {
    const ward = org.wards[0]!;
    const key = newKey();
    const body = briefingBody(ward.id, { date: nextDate() });
    const invalid = await record(ward.deviceToken, { ...body, items: [{ ...body.items[0], consequence: 7 }] }, key);
    expectProblem(invalid, 400);
    expect(await storedIdempotencyKeys(ctx, key)).toEqual([]);

    const fixed = await record(ward.deviceToken, body, key);
    expect(fixed.status, fixed.raw).toBe(201);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(await storedIdempotencyKeys(ctx, key)).toHaveLength(1);
  });

  it('accepts keys of 1 to 255 characters and refuses longer or empty ones', async () => {
    const ward = org.wards[1]!;
    for (const key of ['k', 'x'.repeat(255)]) {
      const res = await record(ward.deviceToken, briefingBody(ward.id, { date: nextDate() }), key);
      expect(res.status, res.raw).toBe(201);
    }
    for (const key of ['x'.repeat(256), '']) {
      const date = nextDate();
      const problem = expectProblem(await record(ward.deviceToken, briefingBody(ward.id, { date }), key), 400);
      expect(JSON.stringify(problem)).toMatch(/idempotency-key/i);
      expect(await storedBriefings(ctx, ward.id, date)).toEqual([]);
    }
  });

  it('replays an escalation action and applies it once', async () => {
    await putPolicy(ctx, org, org.wards[0]!.id, {
      levels: [{ staffId: org.middleManager.id }, { staffId: org.seniorManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    const item = await raiseHighRiskItem(ctx, org);
    const key = newKey();
    const url = `/v1/escalations/${item.escalation.id}/comment`;
    const first = await post(
      ctx.app,
      url,
      org.middleManager.token,
      { text: 'Asked estates' },
      { 'idempotency-key': key },
    );
    expect(first.status, first.raw).toBe(200);
    const again = await post(
      ctx.app,
      url,
      org.middleManager.token,
      { text: 'Asked estates' },
      { 'idempotency-key': key },
    );
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.raw).toBe(first.raw);
    expect((await eventsOf(ctx, item.escalation.id)).filter((e) => e.type === 'comment')).toHaveLength(1);
    const other = await post(
      ctx.app,
      url,
      org.middleManager.token,
      { text: 'Asked again' },
      { 'idempotency-key': key },
    );
    expectProblem(other, 422);
  });

  it('works the same on other POST routes', async () => {
    const key = newKey();
    const ward = { code: `K${day}`, name: 'Idempotent ward' };
    const first = await post(ctx.app, '/v1/wards', org.adminToken, ward, { 'idempotency-key': key });
    expect(first.status, first.raw).toBe(201);
    const again = await post(ctx.app, '/v1/wards', org.adminToken, ward, { 'idempotency-key': key });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expectProblem(
      await post(ctx.app, '/v1/wards', org.adminToken, { ...ward, name: 'Other' }, { 'idempotency-key': key }),
      422,
    );
    expectProblem(await post(ctx.app, '/v1/wards', org.adminToken, ward, { 'idempotency-key': 'y'.repeat(256) }), 400);
  });

  it('without a key, a retry is an ordinary second request', async () => {
    const ward = org.wards[1]!;
    const body = briefingBody(ward.id, { date: nextDate() });
    const first = await post(ctx.app, '/v1/briefings', ward.deviceToken, body);
    expect(first.status).toBe(201);
    const second = await post(ctx.app, '/v1/briefings', ward.deviceToken, body);
    expect(expectProblem(second, 409).existingBriefingId).toBe(first.body.id);
  });
});

describe('keeping Idempotency-Key records', () => {
  it('keeps them for the retention period and then removes them', async () => {
    const ward = org.wards[0]!;
    const [oldKey, freshKey] = [newKey(), newKey()];
    expect((await record(ward.deviceToken, briefingBody(ward.id, { date: nextDate() }), oldKey)).status).toBe(201);
    expect((await record(ward.deviceToken, briefingBody(ward.id, { date: nextDate() }), freshKey)).status).toBe(201);
    const db = ctx.database.db;
    await db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '7 days 1 hour'` })
      .where(eq(idempotencyKeys.key, oldKey));

    expect(await purgeExpiredIdempotencyKeys(db, 7)).toBeGreaterThanOrEqual(1);
    const left = (await db.select({ key: idempotencyKeys.key }).from(idempotencyKeys)).map((row) => row.key);
    expect(left).not.toContain(oldKey);
    expect(left).toContain(freshKey);
  });
});

describe('what a keyed POST queues', () => {
  let quiet: TestContext;
  beforeAll(async () => {
    // The relay's periodic pass is far away: only the nudge after the commit can move the outbox.
    quiet = await createTestContext({ OUTBOX_RELAY_INTERVAL_MS: '600000' });
  });
  afterAll(() => quiet?.close());

  it('reaches the queue once the request transaction commits', async () => {
    const own = await createOrganisation(quiet.app);
    await putPolicy(quiet, own, own.wards[0]!.id, {
      levels: [{ staffId: own.middleManager.id }],
      ackWithinSeconds: { high: 3_600 },
    });
    await waitFor(async () => (await outboxBacklog(quiet.database.db)) === 0, 10_000, 'the outbox to be empty first');
    const ward = own.wards[0]!;
    const res = await post(quiet.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id, { date: nextDate() }), {
      'idempotency-key': newKey(),
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items[0].escalation).not.toBeNull();
    await waitFor(
      async () => (await outboxBacklog(quiet.database.db)) === 0,
      10_000,
      'the escalation timer to leave the outbox',
    );
    const timer = await quiet.queues
      .get('escalation-steps')
      .getJob(jobIds.escalationStep(res.body.items[0].escalation.id, 1));
    expect(timer?.data).toMatchObject({ escalationId: res.body.items[0].escalation.id, step: 1 });
  });
});
