import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { storedForWard } from '../helpers/stored-rows.js';
import { item, paths } from './validation-helpers.js';
import { briefingBody, call, expectProblem, get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

const ward = () => org.wards[0]!;

/** Posts a briefing that must be refused, and checks the answer and that nothing was stored. */
async function refused(body: unknown, status = 400) {
  const before = await storedForWard(ctx, ward().id);
  const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, body);
  const problem = expectProblem(res, status);
  expect(await storedForWard(ctx, ward().id)).toEqual(before);
  return problem;
}

describe('validation problems', () => {
  it('are problem documents listing each failing field with a message', async () => {
    const problem = await refused(
      briefingBody(ward().id, {
        date: 'tomorrow',
        shift: 'evening',
        items: [item({ consequence: 9, kind: 'incident' })],
      }),
    );
    expect(problem).toMatchObject({
      type: expect.stringContaining('validation'),
      title: 'Request validation failed',
      status: 400,
      instance: '/v1/briefings',
    });
    for (const error of problem.errors!)
      expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(paths(problem)).toEqual(
      expect.arrayContaining(['body.date', 'body.shift', 'body.items.0.kind', 'body.items.0.consequence']),
    );
    expect(problem.detail).toContain('body.');
  });

  it('a valid briefing is accepted (the baseline the refusals below differ from)', async () => {
    const res = await post(
      ctx.app,
      '/v1/briefings',
      ward().deviceToken,
      briefingBody(ward().id, { date: '2026-01-01', items: [item()] }),
    );
    expect(res.status, res.raw).toBe(201);
  });
});

describe('unknown and server-owned fields', () => {
  it.each(['colour', 'priority', 'organisation'])(
    'refuses the unknown top-level field %s, naming it',
    async (field) => {
      const problem = await refused({ ...briefingBody(ward().id), [field]: 'x' });
      expect(problem.errors).toContainEqual({ path: `body.${field}`, message: expect.any(String) });
    },
  );

  it('refuses an unknown field inside an item, naming the item and the field', async () => {
    const problem = await refused(briefingBody(ward().id, { items: [item(), item({ bedNumber: 12 })] }));
    expect(problem.errors).toEqual([{ path: 'body.items.1.bedNumber', message: expect.any(String) }]);
  });

  it('refuses an unknown field in attendance', async () => {
    const problem = await refused(briefingBody(ward().id, { attendance: { nursing: 3, students: 2 } }));
    expect(paths(problem)).toEqual(['body.attendance.students']);
  });

  it('names every unknown field when there are several', async () => {
    const problem = await refused({ ...briefingBody(ward().id), a: 1, b: 2 });
    expect(paths(problem).sort()).toEqual(['body.a', 'body.b']);
  });

  const serverOwned: [string, unknown][] = [
    ['id', '6b1f6a7e-3c51-4c1e-9a3e-1a2b3c4d5e6f'],
    ['status', 'resolved'],
    ['riskScore', 25],
    ['riskBand', 'low'],
    ['organisationId', '6b1f6a7e-3c51-4c1e-9a3e-1a2b3c4d5e6f'],
    ['createdAt', '2026-01-01T00:00:00Z'],
  ];

  it.each(serverOwned)('refuses the server-owned field %s on the briefing, storing nothing', async (field, value) => {
    const problem = await refused({ ...briefingBody(ward().id), [field]: value });
    expect(paths(problem)).toEqual([`body.${field}`]);
  });

  it.each(serverOwned)('refuses the server-owned field %s on an item, storing nothing', async (field, value) => {
    const problem = await refused(briefingBody(ward().id, { items: [item({ [field]: value })] }));
    expect(paths(problem)).toEqual([`body.items.0.${field}`]);
  });
});

describe('grading', () => {
  it.each(['problem', 'risk'])('a %s needs consequence and likelihood', async (kind) => {
    const problem = await refused(
      briefingBody(ward().id, {
        items: [item(), item({ kind, consequence: undefined }), item({ kind, likelihood: undefined })],
      }),
    );
    expect(paths(problem).sort()).toEqual(['body.items.1.consequence', 'body.items.2.likelihood']);
  });

  it('good practice needs no grading', async () => {
    const res = await post(ctx.app, '/v1/briefings', ward().deviceToken, {
      wardId: ward().id,
      date: '2026-01-02',
      items: [{ kind: 'good_practice', category: 'communication', description: 'Safety huddle started on time' }],
    });
    expect(res.status, res.raw).toBe(201);
  });

  it.each([
    ['consequence', 0],
    ['consequence', 6],
    ['consequence', 2.5],
    ['consequence', '3'],
    ['likelihood', -1],
    ['likelihood', 6],
    ['likelihood', null],
  ])('refuses %s = %j', async (field, value) => {
    const problem = await refused(briefingBody(ward().id, { items: [item({ [field]: value })] }));
    expect(paths(problem)).toContain(`body.items.0.${field}`);
  });
});

describe('out-of-range and malformed values', () => {
  it.each([
    ['shift', 'evening', 'body.shift'],
    ['held', 'yes', 'body.held'],
    ['durationMinutes', 241, 'body.durationMinutes'],
    ['durationMinutes', -1, 'body.durationMinutes'],
    ['attendance', { nursing: -1 }, 'body.attendance.nursing'],
    ['attendance', { medical: 501 }, 'body.attendance.medical'],
    ['wardId', 'ward-7a', 'body.wardId'],
    ['items', 'none', 'body.items'],
  ])('refuses %s = %j', async (field, value, path) => {
    const problem = await refused(briefingBody(ward().id, { [field]: value }));
    expect(paths(problem)).toContain(path);
  });

  it.each([
    ['kind', 'incident'],
    ['category', 'catering'],
    ['harm', 'catastrophic'],
    ['resolvedAtBriefing', 'no'],
    ['needsChange', 1],
  ])('refuses an item with %s = %j', async (field, value) => {
    const problem = await refused(briefingBody(ward().id, { items: [item({ [field]: value })] }));
    expect(paths(problem)).toContain(`body.items.0.${field}`);
  });

  it('refuses more than 100 items', async () => {
    const problem = await refused(briefingBody(ward().id, { items: Array.from({ length: 101 }, () => item()) }));
    expect(paths(problem)).toContain('body.items');
  });

  it('refuses a missing ward, date or item description', async () => {
    const { wardId: _w, date: _d, ...rest } = briefingBody(ward().id);
    const problem = await refused({ ...rest, items: [{ kind: 'good_practice', category: 'other' }] });
    expect(paths(problem).sort()).toEqual(['body.date', 'body.items.0.description', 'body.wardId']);
  });
});

describe('dates', () => {
  it.each([
    '2026-02-30',
    '2026-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-1-5',
    '05/01/2026',
    '2026-01-05T00:00:00Z',
  ])('refuses the date %s', async (date) => {
    const problem = await refused(briefingBody(ward().id, { date }));
    expect(paths(problem)).toEqual(['body.date']);
  });

  it('accepts 29 February in a leap year', async () => {
    const res = await post(
      ctx.app,
      '/v1/briefings',
      ward().deviceToken,
      briefingBody(ward().id, { date: '2024-02-29' }),
    );
    expect(res.status, res.raw).toBe(201);
    expect(res.body.date).toBe('2024-02-29');
  });

  it.each(['0001-01-01', '0000-02-29', '1899-12-31'])(
    'refuses the briefing date %s, before any sensible range, with 400',
    async (date) => {
      const problem = await refused(briefingBody(ward().id, { date }));
      expect(paths(problem)).toEqual(['body.date']);
    },
  );

  it('accepts a briefing dated tomorrow and refuses one dated later (9999-12-31 too)', async () => {
    const today = localDateOf(new Date());
    const tomorrow = await post(
      ctx.app,
      '/v1/briefings',
      ward().deviceToken,
      briefingBody(ward().id, { date: addDays(today, 1) }),
    );
    expect(tomorrow.status, tomorrow.raw).toBe(201);
    for (const date of [addDays(today, 2), '9999-12-31']) {
      const problem = await refused(briefingBody(ward().id, { date }));
      expect(paths(problem)).toEqual(['body.date']);
      expect(problem.errors![0]!.message).toMatch(/tomorrow/);
    }
  });

  it.each([
    '/v1/briefings?from=0000-01-01',
    '/v1/briefings?to=0001-01-01',
    '/v1/items?from=0000-01-01',
    '/v1/reports/governance?from=0001-01-01&to=0001-12-31',
  ])('refuses a date out of range in a filter: %s', async (url) => {
    const problem = expectProblem(await get(ctx.app, url, org.adminToken), 400);
    expect(paths(problem)[0]).toMatch(/^querystring\.(from|to)$/);
  });

  it('refuses a date or time out of range in an escalation action', async () => {
    const res = await post(ctx.app, `/v1/escalations/${randomUUID()}/snooze`, org.middleManager.token, {
      until: '0001-01-01T00:00:00Z',
      reason: 'Waiting',
    });
    expect(paths(expectProblem(res, 400))).toEqual(['body.until']);
    const action = await post(ctx.app, `/v1/escalations/${randomUUID()}/actions`, org.middleManager.token, {
      description: 'Order a pump',
      dueDate: '0000-02-29',
    });
    expect(paths(expectProblem(action, 400))).toEqual(['body.dueDate']);
  });

  it('refuses an invalid date in a list filter', async () => {
    const problem = expectProblem(await get(ctx.app, '/v1/items?from=2026-02-30', org.adminToken), 400);
    expect(paths(problem)).toEqual(['querystring.from']);
  });
});

describe('free text length', () => {
  const long = (n: number) => 'x'.repeat(n);

  it.each([
    ['description', 2000],
    ['actionTaken', 2000],
  ])('an item %s may be %i characters but no more', async (field, max) => {
    const problem = await refused(briefingBody(ward().id, { items: [item({ [field]: long(max + 1) })] }));
    expect(paths(problem)).toEqual([`body.items.0.${field}`]);
    // The refused text is not echoed back.
    expect(JSON.stringify(problem)).not.toContain(long(50));

    const date = field === 'description' ? '2026-01-03' : '2026-01-04';
    const ok = await post(
      ctx.app,
      '/v1/briefings',
      ward().deviceToken,
      briefingBody(ward().id, { date, items: [item({ [field]: long(max) })] }),
    );
    expect(ok.status, ok.raw).toBe(201);
    expect(ok.body.items[0][field]).toHaveLength(max);
  });

  it('refuses a facilitator over 200 characters and a reason over 500', async () => {
    expect(paths(await refused(briefingBody(ward().id, { facilitator: long(201) })))).toEqual(['body.facilitator']);
    expect(
      paths(await refused({ wardId: ward().id, date: '2026-01-05', held: false, notHeldReason: long(501) })),
    ).toEqual(['body.notHeldReason']);
  });

  it.each(['', '   ', '\n\t'])('refuses a blank description (%j)', async (description) => {
    const problem = await refused(briefingBody(ward().id, { items: [item({ description })] }));
    expect(paths(problem)).toEqual(['body.items.0.description']);
  });

  it('trims surrounding white space from free text', async () => {
    const res = await post(
      ctx.app,
      '/v1/briefings',
      ward().deviceToken,
      briefingBody(ward().id, {
        date: '2026-01-06',
        items: [item({ description: '  Sharps bin overfull  ' })],
      }),
    );
    expect(res.status, res.raw).toBe(201);
    expect(res.body.items[0].description).toBe('Sharps bin overfull');
  });
});

describe('routes and path parameters', () => {
  it.each([
    ['GET', '/v1/nothing-here'],
    ['GET', '/v2/briefings'],
    ['PUT', '/v1/briefings'],
    ['DELETE', '/v1/items'],
  ] as const)('answers %s %s with a 404 problem, with or without a token', async (method, url) => {
    const withToken = expectProblem(await call(ctx.app, { method, url, token: org.adminToken }), 404);
    expect(withToken.detail).toContain(url);
    expectProblem(await call(ctx.app, { method, url }), 404);
  });

  it.each(['/v1/briefings/', '/v1/items/', '/v1/wards/', '/v1/staff/'])(
    'answers 400 to an id in %s that is not a uuid',
    async (prefix) => {
      for (const id of ['123', 'not-a-uuid', "1' OR '1'='1", '6b1f6a7e-3c51-4c1e-9a3e-1a2b3c4d5e6']) {
        const problem = expectProblem(await get(ctx.app, `${prefix}${encodeURIComponent(id)}`, org.adminToken), 400);
        expect(problem.errors).toEqual([{ path: 'params.id', message: expect.any(String) }]);
      }
    },
  );

  it('answers 400 to an id that is not a uuid on write routes too', async () => {
    const problem = expectProblem(await post(ctx.app, '/v1/items/abc/resolve', ward().deviceToken, { note: 'x' }), 400);
    expect(paths(problem)).toContain('params.id');
    expectProblem(await call(ctx.app, { method: 'DELETE', url: '/v1/tokens/abc', token: org.adminToken }), 400);
  });

  it("answers a URL that cannot be decoded with a 400 problem, not Fastify's own error", async () => {
    const res = await get(ctx.app, '/v1/briefings/%zz', org.adminToken);
    expectProblem(res, 400);
    expect(res.raw).not.toContain('FST_ERR');
  });

  it("answers an over-long path parameter with a 400 problem, not Fastify's own error", async () => {
    const res = await get(ctx.app, `/v1/items/${'a'.repeat(250)}`, org.adminToken);
    expectProblem(res, 400);
    expect(res.raw).not.toContain('FST_ERR');
  });

  it('answers unknown query parameters with 400 naming them', async () => {
    const problem = expectProblem(await get(ctx.app, '/v1/items?sort=desc', org.adminToken), 400);
    expect(paths(problem)).toEqual(['querystring.sort']);
  });
});
