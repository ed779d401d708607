/**
 * Bull Board holds the queues every trust shares: only the platform administrator may open it.
 * An organisation's admin, trying what a hostile tenant would with trust A's token against trust
 * B's escalation timer, is refused on the page and on every API route, reading or writing, and
 * B's timer, its escalation and the queues are left as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queue/queues.js';
import { PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { putPolicy, raiseHighRiskItem } from '../helpers/escalation.js';
import { get, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
/** The hostile tenant. */
let a: Organisation;
/** The trust whose escalation is aimed at. */
let b: Organisation;
let escalationOfB: string;
let timerOfB: string;

beforeAll(async () => {
  ({ ctx, org: a, other: b } = await startApiTest({ organisations: 2 }));
  await putPolicy(ctx, b, b.wards[0]!.id, {
    levels: [{ staffId: b.middleManager.id }, { staffId: b.seniorManager.id }],
    ackWithinSeconds: { high: 3_600 },
  });
  escalationOfB = (await raiseHighRiskItem(ctx, b)).escalation.id;
  await ctx.relay.drain();
  timerOfB = jobIds.escalationStep(escalationOfB, 1);
  expect(await ctx.queues.get('escalation-steps').getJobState(timerOfB)).toBe('delayed');
});
afterAll(() => ctx?.close());

const basic = (token: string) => `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`;

function board(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, token: string, payload?: unknown) {
  return ctx.app.inject({
    method,
    url: `/admin/queues${path}`,
    headers: { authorization: basic(token) },
    payload: payload as never,
  });
}

describe('Bull Board at /admin/queues', () => {
  it('asks a browser for credentials, and lets the platform administrator in with the token as the password', async () => {
    const anonymous = await ctx.app.inject({ method: 'GET', url: '/admin/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
    // The service's problem document, not Bull Board's own error answer.
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.json()).toMatchObject({
      status: 401,
      instance: '/admin/queues',
      requestId: anonymous.headers['x-request-id'],
    });

    const page = await board('GET', '', PLATFORM_TOKEN);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await board('GET', '/api/queues', PLATFORM_TOKEN);
    expect(api.statusCode, api.body).toBe(200);
    expect(
      api
        .json()
        .queues.map((q: { name: string }) => q.name)
        .sort(),
    ).toEqual(['escalation-steps', 'mail-digests', 'webhooks']);
  });

  it('refuses every organisation role, the organisation admin included', async () => {
    for (const [who, token] of [
      ['org admin of A', a.adminToken],
      ['org admin of B', b.adminToken],
      ['middle manager', a.middleManager.token],
      ['senior manager', a.seniorManager.token],
      ['clinician', a.clinician.token],
      ['ward device', a.wards[0]!.deviceToken],
    ] as const) {
      const res = await board('GET', '', token);
      expect(res.statusCode, `${who}: ${res.body}`).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const wrong = await board('GET', '', 'not-a-token');
    expect(wrong.statusCode).toBe(401);
  });

  it("refuses trust A's admin everything a hostile tenant tried on trust B's timer, and B's timer is untouched", async () => {
    const job = (path: string) => `/api/queues/escalation-steps/${timerOfB}${path}`;
    const attempts: [string, 'GET' | 'POST' | 'PUT' | 'PATCH', string, unknown?][] = [
      ['list the queues', 'GET', '/api/queues?activeQueue=escalation-steps&status=delayed'],
      ["read B's timer", 'GET', job('')],
      ["promote B's timer", 'PUT', job('/promote')],
      [
        "add a timer for B's escalation by hand",
        'POST',
        '/api/queues/escalation-steps/add',
        {
          name: 'escalation-step',
          data: { escalationId: escalationOfB, step: 1 },
          options: {},
        },
      ],
      [
        "change the step of B's timer",
        'PATCH',
        job('/update-data'),
        { data: { escalationId: escalationOfB, step: 2 } },
      ],
      ["bring B's timer forward", 'PATCH', job('/delay'), { delay: 0 }],
      ['pause the timers queue', 'PUT', '/api/queues/escalation-steps/pause'],
      ['pause every queue', 'PUT', '/api/queues/pause'],
      ['retry failed webhooks', 'PUT', '/api/queues/webhooks/retry/failed'],
      ['empty the timers queue', 'PUT', '/api/queues/escalation-steps/empty'],
      ['obliterate the timers queue', 'PUT', '/api/queues/escalation-steps/obliterate'],
    ];
    for (const [what, method, path, payload] of attempts) {
      const res = await board(method, path, a.adminToken, payload);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(403);
      expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
      // A problem document and nothing of the queue (the URL asked for is echoed as `instance`).
      const problem = res.json();
      expect(Object.keys(problem).sort(), what).toEqual(['detail', 'instance', 'requestId', 'status', 'title', 'type']);
      expect(problem.detail, what).toMatch(/org_admin role may not/);
    }

    const queue = ctx.queues.get('escalation-steps');
    expect(await queue.isPaused()).toBe(false);
    expect(await ctx.queues.get('webhooks').isPaused()).toBe(false);
    expect(await queue.getJobCounts('delayed', 'waiting', 'active', 'completed', 'failed')).toEqual({
      delayed: 1,
      waiting: 0,
      active: 0,
      completed: 0,
      failed: 0,
    });
    const timer = await queue.getJob(timerOfB);
    expect(timer?.data).toEqual({ escalationId: escalationOfB, step: 1 });
    expect(await timer?.getState()).toBe('delayed');
    const escalation = await get(ctx.app, `/v1/escalations/${escalationOfB}`, b.adminToken);
    expect(escalation.body).toMatchObject({ state: 'open', level: 1, assignee: { id: b.middleManager.id } });
    expect(escalation.body.history.map((h: { type: string }) => h.type)).toEqual(['started']);
  });

  it("does not read a body without Content-Type as JSON (a cross-site page could send one with the browser's credentials)", async () => {
    const add = (headers: Record<string, string>) =>
      ctx.app.inject({
        method: 'POST',
        url: '/admin/queues/api/queues/webhooks/add',
        headers: { authorization: basic(PLATFORM_TOKEN), ...headers },
        payload: JSON.stringify({ name: 'forged', data: {} }),
      });
    const typeless = await add({});
    expect(typeless.statusCode, typeless.body).toBe(415);
    expect(await ctx.queues.get('webhooks').getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
  });
});
