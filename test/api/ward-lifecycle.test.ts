/** Wards have a life: renamed, closed (no new briefings, no device tokens, open items kept) and reopened. */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { nextDate, putPolicy } from '../helpers/escalation.js';
import { briefingBody, expectProblem, get, patch, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({ organisations: 2 }));
});
afterAll(() => ctx?.close());

let serial = 0;

/** A new ward with its device token and a clinician on it, escalating to the middle manager. */
async function ward() {
  serial++;
  const created = await post(ctx.app, '/v1/wards', org.adminToken, {
    code: `L${serial}`,
    name: `Ward number ${serial}`,
    site: 'Main site',
    division: 'Medicine',
  });
  expect(created.status, created.raw).toBe(201);
  const device = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: created.body.id, label: 'tablet' });
  const nurse = await post(ctx.app, '/v1/staff', org.adminToken, {
    name: `Staff nurse ${serial}`,
    email: `nurse${serial}.${org.code.toLowerCase()}@example.nhs.uk`,
    role: 'clinician',
    wardIds: [created.body.id],
  });
  const nurseToken = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: nurse.body.id });
  await putPolicy(ctx, org, created.body.id, { levels: [{ staffId: org.middleManager.id }] });
  return {
    id: created.body.id as string,
    device: device.body.token as string,
    deviceTokenId: device.body.id as string,
    nurse: nurseToken.body.token as string,
  };
}

const briefing = (wardId: string) =>
  briefingBody(wardId, {
    date: nextDate(),
    items: [
      {
        kind: 'problem',
        category: 'equipment',
        description: 'Hoist out of service',
        consequence: 4,
        likelihood: 3,
      },
      { kind: 'risk', category: 'staffing', description: 'Two night shifts short', consequence: 1, likelihood: 2 },
    ],
  });

const auditOfWard = (wardId: string) =>
  ctx.database.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.entityType, 'ward'), eq(auditEvents.entityId, wardId)))
    .orderBy(auditEvents.id);

const close = (wardId: string, token = org.adminToken, body: unknown = { reason: 'Merged into ward 7B' }) =>
  post(ctx.app, `/v1/wards/${wardId}/close`, token, body);

describe('editing a ward', () => {
  it('renames it, moves it to another site and division or clears them, and the audit trail records each change', async () => {
    const w = await ward();
    const res = await patch(ctx.app, `/v1/wards/${w.id}`, org.adminToken, {
      name: 'Acute Medical Unit',
      division: 'Urgent care',
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      id: w.id,
      code: `L${serial}`,
      name: 'Acute Medical Unit',
      site: 'Main site',
      division: 'Urgent care',
      closedAt: null,
    });
    const cleared = await patch(ctx.app, `/v1/wards/${w.id}`, org.adminToken, { site: null });
    expect(cleared.body).toMatchObject({ name: 'Acute Medical Unit', site: null, division: 'Urgent care' });
    expect((await get(ctx.app, `/v1/wards/${w.id}`, w.nurse)).body).toEqual(cleared.body);
    const audit = await auditOfWard(w.id);
    expect(audit.filter((e) => e.action === 'changed').map((e) => e.changes)).toEqual([
      {
        name: { from: `Ward number ${serial}`, to: 'Acute Medical Unit' },
        division: { from: 'Medicine', to: 'Urgent care' },
      },
      { site: { from: 'Main site', to: null } },
    ]);
  });

  it('refuses bad bodies (400), an identifier in a name (422), other roles (403) and wards of another organisation (404)', async () => {
    const w = await ward();
    const url = `/v1/wards/${w.id}`;
    for (const body of [{}, { name: '' }, { code: 'X1' }, { name: 'x'.repeat(201) }, { division: 7 }]) {
      expectProblem(await patch(ctx.app, url, org.adminToken, body), 400);
    }
    const identifier = expectProblem(await patch(ctx.app, url, org.adminToken, { site: 'Clinic at SW1A 1AA' }), 422);
    expect(identifier.errors?.[0]?.path).toBe('body.site');
    for (const token of [w.device, w.nurse, org.seniorManager.token, org.governance.token]) {
      expectProblem(await patch(ctx.app, url, token, { name: 'Renamed' }), 403);
    }
    expectProblem(await patch(ctx.app, url, other.adminToken, { name: 'Renamed' }), 404);
    expect((await get(ctx.app, url, org.adminToken)).body).toMatchObject({
      name: `Ward number ${serial}`,
      site: 'Main site',
    });
  });
});

describe('closing a ward', () => {
  it('takes no new briefings (409) and revokes its device tokens (401), with no new one issued (409)', async () => {
    const w = await ward();
    const res = await close(w.id);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      id: w.id,
      closureReason: 'Merged into ward 7B',
      revokedTokenIds: [w.deviceTokenId],
    });
    expect(res.body.closedAt).toEqual(expect.any(String));
    expectProblem(await get(ctx.app, '/v1/wards', w.device), 401);
    const refused = expectProblem(await post(ctx.app, '/v1/briefings', w.nurse, briefing(w.id)), 409);
    expect(refused.detail).toMatch(/closed/);
    expect(refused.wardId).toBe(w.id);
    expect((await get(ctx.app, `/v1/briefings?wardId=${w.id}`, org.adminToken)).body.data).toEqual([]);
    expectProblem(await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: w.id, label: 'new tablet' }), 409);
    const audit = await auditOfWard(w.id);
    expect(audit.find((e) => e.action === 'closed')?.changes).toMatchObject({
      reason: { text: 'redacted', length: 19 },
      revokedTokenIds: [w.deviceTokenId],
    });
  });

  it('keeps its open items open until resolved: listed, counted, and worked by managers and the ward team', async () => {
    const w = await ward();
    const recorded = await post(ctx.app, '/v1/briefings', w.device, briefing(w.id));
    expect(recorded.status, recorded.raw).toBe(201);
    const [escalated, local] = recorded.body.items;
    expect(escalated.escalation.assignee.id).toBe(org.middleManager.id);
    expect((await close(w.id)).status).toBe(200);

    const open = await get(ctx.app, `/v1/items?wardId=${w.id}&status=open`, org.adminToken);
    expect(open.body.data.map((i: { id: string }) => i.id).sort()).toEqual([escalated.id, local.id].sort());
    const day = recorded.body.date as string;
    const pack = await get(ctx.app, `/v1/reports/governance?from=${day}&to=${day}&wardId=${w.id}`, org.adminToken);
    expect(pack.status, pack.raw).toBe(200);
    expect(pack.body.items.overall.total.current).toBe(2);
    const inbox = await get(ctx.app, `/v1/inbox?wardId=${w.id}`, org.middleManager.token);
    expect(inbox.body.data.map((e: { id: string }) => e.id)).toEqual([escalated.escalation.id]);
    const escalationUrl = `/v1/escalations/${escalated.escalation.id}`;
    expect((await post(ctx.app, `${escalationUrl}/acknowledge`, org.middleManager.token, {})).status).toBe(200);
    const resolved = await post(ctx.app, `${escalationUrl}/resolve`, org.middleManager.token, {
      outcome: 'fixed',
      note: 'Hoist repaired',
    });
    expect(resolved.status, resolved.raw).toBe(200);
    const byNurse = await post(ctx.app, `/v1/items/${local.id}/resolve`, w.nurse, { note: 'Bank staff booked' });
    expect(byNurse.status, byNurse.raw).toBe(200);
    const items = await get(ctx.app, `/v1/items?wardId=${w.id}`, org.adminToken);
    expect(items.body.data.map((i: { status: string }) => i.status)).toEqual(['resolved', 'resolved']);
  });

  it('lists closed wards marked with closedAt; closed=true|false filters them', async () => {
    const w = await ward();
    expect((await close(w.id)).status).toBe(200);
    const all = await get(ctx.app, '/v1/wards', org.adminToken);
    const listed = all.body.data.find((x: { id: string }) => x.id === w.id);
    expect(listed.closedAt).toEqual(expect.any(String));
    expect(all.body.data.find((x: { id: string }) => x.id === org.wards[0]!.id).closedAt).toBeNull();
    const closed = await get(ctx.app, '/v1/wards?closed=true', org.adminToken);
    expect(closed.body.data.map((x: { id: string }) => x.id)).toContain(w.id);
    for (const x of closed.body.data) expect(x.closedAt).not.toBeNull();
    const openOnes = await get(ctx.app, '/v1/wards?closed=false', org.adminToken);
    expect(openOnes.body.data.map((x: { id: string }) => x.id)).not.toContain(w.id);
    expect(openOnes.body.data.map((x: { id: string }) => x.id)).toContain(org.wards[0]!.id);
    expectProblem(await get(ctx.app, '/v1/wards?closed=maybe', org.adminToken), 400);
    // Its own clinician still sees it, marked closed.
    expect((await get(ctx.app, '/v1/wards', w.nurse)).body.data).toEqual([listed]);
  });

  it('refuses closing twice (409), without a reason (400), for other roles (403) and across organisations (404); reopening an open ward is 409', async () => {
    const w = await ward();
    expectProblem(await close(w.id, org.adminToken, {}), 400);
    for (const token of [w.device, w.nurse, org.middleManager.token, org.seniorManager.token, org.governance.token]) {
      expectProblem(await close(w.id, token), 403);
    }
    expectProblem(await close(w.id, other.adminToken), 404);
    expectProblem(await post(ctx.app, `/v1/wards/${w.id}/reopen`, org.adminToken, {}), 409);
    expect((await close(w.id)).status).toBe(200);
    expect(expectProblem(await close(w.id), 409).detail).toMatch(/already closed/);
  });

  it('reopened, a ward takes briefings again from a new device token', async () => {
    const w = await ward();
    expect((await close(w.id)).status).toBe(200);
    const reopened = await post(ctx.app, `/v1/wards/${w.id}/reopen`, org.adminToken, {});
    expect(reopened.status, reopened.raw).toBe(200);
    expect(reopened.body).toMatchObject({ closedAt: null, closureReason: null });
    expectProblem(await get(ctx.app, '/v1/wards', w.device), 401);
    const device = await post(ctx.app, '/v1/tokens', org.adminToken, { wardId: w.id, label: 'replacement tablet' });
    expect(device.status, device.raw).toBe(201);
    const recorded = await post(ctx.app, '/v1/briefings', device.body.token, briefing(w.id));
    expect(recorded.status, recorded.raw).toBe(201);
    const actions = (await auditOfWard(w.id)).map((e) => e.action);
    expect(actions).toEqual(['created', 'closed', 'reopened']);
  });
});
