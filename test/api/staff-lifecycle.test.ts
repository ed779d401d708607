/** Staff have a life: edited, deactivated when they leave (tokens, escalations, policies), reactivated. */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations } from '../../src/db/schema.js';
import { jobIds } from '../../src/queue/queues.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { notificationsOf, putPolicy, waitFor } from '../helpers/escalation.js';
import { expectProblem, get, patch, post, type Organisation } from '../helpers/fixtures.js';
import { people } from '../helpers/people.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;
type People = ReturnType<typeof people>;
let person: People['person'];
let ward: People['ward'];
let raise: People['raise'];
let deactivate: People['deactivate'];
let auditOf: People['auditOf'];

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({ organisations: 2 }));
  ({ person, ward, raise, deactivate, auditOf } = people(ctx, org));
});
afterAll(() => ctx?.close());

describe('editing a staff member', () => {
  it('changes name, email, role and wards, and the audit trail lists what changed', async () => {
    const nurse = await person('clinician', [org.wards[0]!.id]);
    const res = await patch(ctx.app, `/v1/staff/${nurse.id}`, org.adminToken, {
      name: 'Charge Nurse Adeyemi',
      email: `charge.nurse.${org.code.toLowerCase()}@example.nhs.uk`,
      role: 'middle_manager',
      wardIds: [org.wards[1]!.id],
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      id: nurse.id,
      name: 'Charge Nurse Adeyemi',
      role: 'middle_manager',
      wardIds: [org.wards[1]!.id],
      deactivatedAt: null,
    });
    expect((await get(ctx.app, `/v1/staff/${nurse.id}`, org.adminToken)).body).toEqual(res.body);
    // The new role and wards apply to their token at once.
    expect((await get(ctx.app, '/v1/inbox', nurse.token)).status).toBe(200);
    const changed = (await auditOf(nurse.id)).find((e) => e.action === 'changed');
    expect(changed?.changes).toEqual({
      name: 'changed',
      email: 'changed',
      role: { from: 'clinician', to: 'middle_manager' },
      wardIds: { added: [org.wards[1]!.id], removed: [org.wards[0]!.id] },
    });
    expect(JSON.stringify(changed?.changes)).not.toContain('Adeyemi');
  });

  it('refuses bad bodies (400), wards of another organisation (400), a taken email (409), other roles (403) and staff of another organisation (404)', async () => {
    const nurse = await person('clinician');
    const url = `/v1/staff/${nurse.id}`;
    for (const body of [
      {},
      { role: 'matron' },
      { email: 'not-an-email' },
      { name: '' },
      { wardIds: ['x'] },
      { id: 'x' },
    ]) {
      expectProblem(await patch(ctx.app, url, org.adminToken, body), 400);
    }
    const foreignWard = expectProblem(
      await patch(ctx.app, url, org.adminToken, { wardIds: [other.wards[0]!.id] }),
      400,
    );
    expect(foreignWard.errors).toEqual([{ path: 'body.wardIds.0', message: 'no such ward in this organisation' }]);
    expectProblem(
      await patch(ctx.app, url, org.adminToken, { email: `MIDDLE_MANAGER.${org.code.toLowerCase()}@example.nhs.uk` }),
      409,
    );
    for (const token of [
      org.seniorManager.token,
      org.middleManager.token,
      org.clinician.token,
      org.wards[0]!.deviceToken,
    ]) {
      expectProblem(await patch(ctx.app, url, token, { name: 'Someone else' }), 403);
    }
    expectProblem(await patch(ctx.app, url, other.adminToken, { name: 'Someone else' }), 404);
    expect((await get(ctx.app, url, org.adminToken)).body).toMatchObject({ role: 'clinician', wardIds: [] });
  });

  it("keeps a manager's role while a policy names them or they hold an open escalation; nobody changes their own role", async () => {
    const w = await ward();
    const manager = await person();
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: manager.id }] });
    const named = expectProblem(
      await patch(ctx.app, `/v1/staff/${manager.id}`, org.adminToken, { role: 'clinician' }),
      409,
    );
    expect(named.policyWardIds).toEqual([w.id]);
    // A move between manager roles is fine.
    const senior = await patch(ctx.app, `/v1/staff/${manager.id}`, org.adminToken, { role: 'senior_manager' });
    expect(senior.status, senior.raw).toBe(200);
    const admin = (await get(ctx.app, '/v1/staff?role=org_admin', org.adminToken)).body.data[0];
    expectProblem(await patch(ctx.app, `/v1/staff/${admin.id}`, org.adminToken, { role: 'governance' }), 409);
    expect((await patch(ctx.app, `/v1/staff/${admin.id}`, org.adminToken, { role: 'org_admin' })).status).toBe(200);
  });
});

describe('deactivating a staff member', () => {
  it('revokes every token of theirs at once: the next request with one is 401', async () => {
    const manager = await person('senior_manager');
    const second = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: manager.id, label: 'laptop' });
    expect((await get(ctx.app, '/v1/inbox', manager.token)).status).toBe(200);
    const res = await deactivate(manager.id);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({ id: manager.id, deactivationReason: 'Left the trust', handedOver: [] });
    expect(res.body.deactivatedAt).toEqual(expect.any(String));
    expect(res.body.revokedTokenIds).toHaveLength(2);
    expect(res.body.revokedTokenIds).toContain(second.body.id);
    for (const token of [manager.token, second.body.token]) expectProblem(await get(ctx.app, '/v1/inbox', token), 401);
    const tokens = (await get(ctx.app, '/v1/tokens', org.adminToken)).body.data;
    for (const id of res.body.revokedTokenIds)
      expect(tokens.find((t: { id: string }) => t.id === id).revokedAt).not.toBeNull();
    // No new token for them, and the list marks them.
    expectProblem(await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: manager.id }), 409);
    const inactive = await get(ctx.app, '/v1/staff?active=false', org.adminToken);
    expect(inactive.body.data.map((m: { id: string }) => m.id)).toContain(manager.id);
    const active = await get(ctx.app, '/v1/staff?active=true', org.adminToken);
    expect(active.body.data.map((m: { id: string }) => m.id)).not.toContain(manager.id);
    const audit = (await auditOf(manager.id)).find((e) => e.action === 'deactivated');
    expect(audit?.changes).toMatchObject({
      reason: { text: 'redacted', length: 14 },
      revokedTokenIds: res.body.revokedTokenIds,
    });
  });

  it('moves every open escalation they hold to the next level of its chain at once, with its event, notification, deadline and timer', async () => {
    const w = await ward();
    const [first, second] = [await person(), await person('senior_manager')];
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: first.id }, { staffId: second.id }] });
    const open = (await raise(w)).escalation.id as string;
    const acknowledged = (await raise(w)).escalation.id as string;
    expect((await post(ctx.app, `/v1/escalations/${acknowledged}/acknowledge`, first.token, {})).status).toBe(200);
    const before = Date.now();
    const res = await deactivate(first.id, 'Moved to another trust');
    expect(res.status, res.raw).toBe(200);
    expect(res.body.handedOver).toEqual([
      { escalationId: open, assigneeStaffId: second.id, level: 2, via: 'chain' },
      { escalationId: acknowledged, assigneeStaffId: second.id, level: 2, via: 'chain' },
    ]);
    for (const id of [open, acknowledged]) {
      const escalation = (await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body;
      expect(escalation).toMatchObject({ state: 'open', level: 2, assignee: { id: second.id }, acknowledgedAt: null });
      // A fresh deadline from now, at the chain's acknowledge time for a high risk (4 h).
      const due = Date.parse(escalation.dueAt);
      expect(due).toBeGreaterThanOrEqual(before + 4 * 3_600_000 - 1_000);
      expect(due).toBeLessThanOrEqual(Date.now() + 4 * 3_600_000 + 1_000);
      const last = escalation.history.at(-1);
      expect(last).toMatchObject({
        type: 'reassigned',
        level: 2,
        assignee: { id: second.id },
        actor: { id: expect.any(String) },
        details: { reason: 'assignee_deactivated', via: 'chain', fromLevel: 1, fromStaffId: first.id },
      });
      const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, id));
      const notices = await notificationsOf(ctx, id);
      expect(notices.at(-1)).toMatchObject({
        recipientStaffId: second.id,
        type: 'assigned',
        step: row!.step,
        level: 1,
      });
      // The next timer, for the new step at the new deadline: relayed from the outbox into the queue.
      const job = await waitFor(
        () => ctx.queues.get('escalation-steps').getJob(jobIds.escalationStep(id, row!.step)),
        15_000,
        'the new timer job',
      );
      expect(job.data).toEqual({ escalationId: id, step: row!.step });
      expect(job.timestamp + (job.opts.delay ?? 0)).toBeGreaterThanOrEqual(due - 1_000);
      const moved = (await auditOf(id)).find((e) => e.action === 'reassigned');
      expect(moved?.changes).toMatchObject({
        reason: 'assignee_deactivated',
        assigneeStaffId: { from: first.id, to: second.id },
      });
    }
    expect(res.body.handedOver.map((h: { escalationId: string }) => h.escalationId).sort()).toEqual(
      (await get(ctx.app, '/v1/inbox', second.token)).body.data.map((e: { id: string }) => e.id).sort(),
    );
    expect(res.body.policiesNeedingAttention).toEqual([w.id]);
  });

  it("past the last level of its chain, hands an escalation to the most senior active manager of the ward's policy", async () => {
    const w = await ward();
    const [only, deputy, director] = [await person(), await person(), await person('senior_manager')];
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: only.id }] });
    const id = (await raise(w)).escalation.id as string;
    await putPolicy(ctx, org, w.id, {
      levels: [{ staffId: only.id }, { staffId: deputy.id }, { staffId: director.id }],
    });
    const res = await deactivate(only.id);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.handedOver).toEqual([
      { escalationId: id, assigneeStaffId: director.id, level: 1, via: 'ward_policy' },
    ]);
    const escalation = (await get(ctx.app, `/v1/escalations/${id}`, director.token)).body;
    expect(escalation).toMatchObject({ state: 'open', level: 1, assignee: { id: director.id } });
    expect(escalation.history.at(-1).details).toMatchObject({ reason: 'assignee_deactivated', via: 'ward_policy' });
  });

  it('is refused, changing nothing, while an escalation they hold would have nobody active to go to', async () => {
    const w = await ward();
    const only = await person();
    await putPolicy(ctx, org, w.id, { levels: [{ staffId: only.id }] });
    const id = (await raise(w)).escalation.id as string;
    const res = expectProblem(await deactivate(only.id), 409);
    expect(res.escalationIds).toEqual([id]);
    expect(res.detail).toMatch(/nobody active/);
    expect((await get(ctx.app, '/v1/inbox', only.token)).status).toBe(200);
    expect((await get(ctx.app, `/v1/staff/${only.id}`, org.adminToken)).body.deactivatedAt).toBeNull();
    expect((await get(ctx.app, `/v1/escalations/${id}`, org.adminToken)).body.assignee.id).toBe(only.id);
  });

  it('refuses deactivating twice (409), oneself (409), without a reason (400), for other roles (403) and across organisations (404)', async () => {
    const nurse = await person('clinician');
    expectProblem(await post(ctx.app, `/v1/staff/${nurse.id}/deactivate`, org.adminToken, {}), 400);
    expectProblem(await post(ctx.app, `/v1/staff/${nurse.id}/deactivate`, org.adminToken, { reason: ' ' }), 400);
    for (const token of [org.seniorManager.token, org.governance.token, org.wards[0]!.deviceToken]) {
      expectProblem(await post(ctx.app, `/v1/staff/${nurse.id}/deactivate`, token, { reason: 'Left' }), 403);
    }
    expectProblem(await post(ctx.app, `/v1/staff/${nurse.id}/deactivate`, other.adminToken, { reason: 'Left' }), 404);
    expect((await deactivate(nurse.id)).status).toBe(200);
    const twice = expectProblem(await deactivate(nurse.id), 409);
    expect(twice.detail).toMatch(/already deactivated/);
    const admin = (await get(ctx.app, '/v1/staff?role=org_admin', org.adminToken)).body.data[0];
    expectProblem(await deactivate(admin.id), 409);
    expect((await get(ctx.app, '/v1/inbox', org.middleManager.token)).status).toBe(200);
  });

  it('a deactivated person cannot be edited until reactivated; reactivated, they are active again with no tokens', async () => {
    const nurse = await person('clinician', [org.wards[0]!.id]);
    expect((await deactivate(nurse.id)).status).toBe(200);
    const edit = expectProblem(
      await patch(ctx.app, `/v1/staff/${nurse.id}`, org.adminToken, { name: 'New name' }),
      409,
    );
    expect(edit.detail).toMatch(/deactivated/);
    const back = await post(ctx.app, `/v1/staff/${nurse.id}/reactivate`, org.adminToken, {});
    expect(back.status, back.raw).toBe(200);
    expect(back.body).toMatchObject({ deactivatedAt: null, deactivationReason: null, wardIds: [org.wards[0]!.id] });
    expectProblem(await post(ctx.app, `/v1/staff/${nurse.id}/reactivate`, org.adminToken, {}), 409);
    expectProblem(await get(ctx.app, '/v1/wards', nurse.token), 401);
    const token = await post(ctx.app, '/v1/tokens', org.adminToken, { staffId: nurse.id });
    expect((await get(ctx.app, '/v1/wards', token.body.token)).status).toBe(200);
    expect((await patch(ctx.app, `/v1/staff/${nurse.id}`, org.adminToken, { name: 'New name' })).status).toBe(200);
    expect((await auditOf(nurse.id)).map((e) => e.action)).toEqual([
      'created',
      'deactivated',
      'reactivated',
      'changed',
    ]);
  });
});
