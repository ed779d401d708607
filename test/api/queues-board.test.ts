import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { createOrganisation, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
});
afterAll(() => ctx?.close());

const basic = (token: string) => `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`;

describe('Bull Board at /admin/queues', () => {
  it('asks a browser for credentials, and lets administrators in with their token as the password', async () => {
    const anonymous = await ctx.app.inject({ method: 'GET', url: '/admin/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
    // The service's problem document, not Bull Board's own error answer.
    expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anonymous.json()).toMatchObject({ status: 401, instance: '/admin/queues', requestId: anonymous.headers['x-request-id'] });

    for (const token of [org.adminToken, PLATFORM_TOKEN]) {
      const page = await ctx.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic(token) } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      const api = await ctx.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: { authorization: basic(token) },
      });
      expect(api.statusCode, api.body).toBe(200);
      expect(api.json().queues.map((q: { name: string }) => q.name).sort()).toEqual(['escalation-steps', 'webhooks']);
    }
  });

  it('refuses everyone else', async () => {
    for (const token of [org.middleManager.token, org.clinician.token, org.wards[0]!.deviceToken]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic(token) } });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const wrong = await ctx.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('not-a-token') } });
    expect(wrong.statusCode).toBe(401);
  });

  it('does not read a body without Content-Type as JSON (a cross-site page could send one with the browser\'s credentials)', async () => {
    const add = (headers: Record<string, string>) =>
      ctx.app.inject({
        method: 'POST',
        url: '/admin/queues/api/queues/webhooks/add',
        headers: { authorization: basic(org.adminToken), ...headers },
        payload: JSON.stringify({ name: 'forged', data: {} }),
      });
    const typeless = await add({});
    expect(typeless.statusCode, typeless.body).toBe(415);
    expect(await ctx.queues.get('webhooks').getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
  });
});
