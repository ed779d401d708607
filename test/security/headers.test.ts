/**
 * What every answer carries and never carries, over real HTTP (the app listening on a port):
 * helmet's security headers on every kind of response (2xx JSON, each 4xx problem, a 500, the
 * HTML pages, the router's and the HTTP parser's own refusals); CORS only for the configured
 * origins; no stack trace or SQL in any body; the request-size cap (413) on every write route
 * and the page-size cap (limit <= 200) on every paged route.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { briefingBody } from '../helpers/fixtures.js';
import { leaks, problemDefect, send, sendJson, sendRaw, type SendResult } from '../faults/service-harness.js';
import { buildWorld, label, operations, pathFor, tokenFor, validBody, validQuery, type World } from './route-world.js';

const ALLOWED_ORIGIN = 'https://ward-app.example';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let ctx: TestContext;
let corsCtx: TestContext;
let world: World;
let base: string;
let corsBase: string;

async function listen(context: TestContext) {
  await context.app.listen({ port: 0, host: '127.0.0.1' });
  const address = context.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return `http://127.0.0.1:${address.port}`;
}

beforeAll(async () => {
  ctx = await createTestContext();
  world = await buildWorld(ctx, 2);
  base = await listen(ctx);
  corsCtx = await createTestContext({ CORS_ORIGINS: ALLOWED_ORIGIN, AUTH_FAILURE_LIMIT_PER_MINUTE: '2' });
  corsBase = await listen(corsCtx);
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await corsCtx?.close();
});

/** Helmet's headers, as this app configures it. */
const SECURITY_HEADERS: [string, RegExp][] = [
  ['content-security-policy', /default-src 'self'/],
  ['x-content-type-options', /^nosniff$/],
  ['x-frame-options', /^SAMEORIGIN$/],
  ['strict-transport-security', /max-age=\d+/],
  ['referrer-policy', /^no-referrer$/],
  ['cross-origin-opener-policy', /^same-origin$/],
  ['cross-origin-resource-policy', /^same-origin$/],
  ['x-dns-prefetch-control', /^off$/],
  ['x-download-options', /^noopen$/],
  ['x-permitted-cross-domain-policies', /^none$/],
  ['origin-agent-cluster', /^\?1$/],
];

function missingSecurityHeaders(res: SendResult): string[] {
  const missing = SECURITY_HEADERS.filter(([name, pattern]) => !pattern.test(String(res.headers[name] ?? ''))).map(
    ([name]) => name,
  );
  if (res.headers['x-powered-by'] !== undefined) missing.push('x-powered-by present');
  return missing;
}

type ResponseKind = [string, () => Promise<SendResult>, number];
const kinds: ResponseKind[] = [];
const admin = () => world.org.adminToken;
const device = () => world.org.wards[0]!.deviceToken;

/** Successes: JSON, the OpenAPI document and the HTML pages. */
const successKinds = (): ResponseKind[] => [
  ['200 GET /health', () => send(base, { method: 'GET', path: '/health' }), 200],
  ['200 JSON list', () => sendJson(base, 'GET', '/v1/wards', admin()), 200],
  ['200 /openapi.json', () => send(base, { method: 'GET', path: '/openapi.json' }), 200],
  [
    '201 JSON created',
    () => sendJson(base, 'POST', '/v1/wards', admin(), { code: `H${Date.now() % 1e6}`, name: 'Header ward' }),
    201,
  ],
  ['200 HTML /docs', () => send(base, { method: 'GET', path: '/docs' }), 200],
  [
    '200 HTML briefing pack',
    () => sendJson(base, 'GET', `/v1/wards/${world.org.wards[0]!.id}/briefing-pack?format=html`, device()),
    200,
  ],
];

/** Every problem a client can meet, and a 500. */
const problemKinds = (): ResponseKind[] => [
  ['400 validation problem', () => sendJson(base, 'POST', '/v1/wards', admin(), {}), 400],
  [
    '400 malformed JSON',
    () =>
      send(base, {
        method: 'POST',
        path: '/v1/wards',
        headers: { authorization: `Bearer ${admin()}`, 'content-type': 'application/json' },
        body: '{"code":',
      }),
    400,
  ],
  ['401 no token', () => sendJson(base, 'GET', '/v1/wards', undefined), 401],
  ['403 role', () => sendJson(base, 'GET', '/v1/tokens', device()), 403],
  ['404 no route', () => sendJson(base, 'GET', '/v1/nothing-here', admin()), 404],
  ['404 no object', () => sendJson(base, 'GET', `/v1/wards/${randomUUID()}`, admin()), 404],
  ['409 conflict', () => sendJson(base, 'POST', '/v1/wards', admin(), { code: 'W1', name: 'Duplicate code' }), 409],
  [
    '413 body too large',
    () => sendJson(base, 'POST', '/v1/wards', admin(), { code: 'BIG', name: 'x'.repeat(ctx.config.bodyLimitBytes) }),
    413,
  ],
  [
    '415 content type',
    () =>
      send(base, {
        method: 'POST',
        path: '/v1/wards',
        headers: { authorization: `Bearer ${admin()}`, 'content-type': 'text/plain' },
        body: 'hello',
      }),
    415,
  ],
  [
    '422 identifier in free text',
    () =>
      sendJson(base, 'POST', '/v1/briefings', device(), {
        ...briefingBody(world.org.wards[0]!.id, { date: '2026-09-01' }),
        items: [
          {
            kind: 'problem',
            category: 'equipment',
            description: 'Pump for 943 476 5919 broken',
            consequence: 2,
            likelihood: 2,
          },
        ],
      }),
    422,
  ],
  [
    '429 rate limited',
    async () => {
      // From another loopback address, so the other requests here are not limited.
      const from = { localAddress: '127.0.0.2' };
      for (let i = 0; i < 3; i++) await sendJson(corsBase, 'GET', '/v1/wards', `wrong-token-${i}`, undefined, from);
      return sendJson(corsBase, 'GET', '/v1/wards', 'wrong-token-again', undefined, from);
    },
    429,
  ],
  ['500 internal error', forceInternalError, 500],
];

describe('security headers on every kind of response', () => {
  beforeAll(() => {
    kinds.push(...successKinds(), ...problemKinds());
  });

  it('are set on 2xx JSON, every 4xx problem, a 500 and the HTML pages', async () => {
    const defects: string[] = [];
    for (const [name, request, status] of kinds) {
      const res = await request();
      if (res.status !== status)
        defects.push(`${name}: expected ${status}, got ${res.status} ${res.body.slice(0, 200)}`);
      const missing = missingSecurityHeaders(res);
      if (missing.length) defects.push(`${name}: missing ${missing.join(', ')}`);
      if (!res.headers['x-request-id']) defects.push(`${name}: no x-request-id`);
      if (res.status >= 400) {
        const defect = problemDefect(res);
        if (defect) defects.push(`${name}: not a problem document (${defect})`);
      }
      const leaked = leaks(res.body);
      if (leaked.length && !name.includes('/docs') && !name.includes('openapi'))
        defects.push(`${name}: gives away ${leaked.join(', ')}`);
    }
    console.log(
      `[headers] ${kinds.length} kinds of response checked for ${SECURITY_HEADERS.length} security headers: ${defects.length} defects`,
    );
    expect(defects).toEqual([]);
  });

  it('are set on the refusals that bypass the request hooks too, which are problem documents with a request id', async () => {
    // The router refuses these before any hook runs (Fastify's frameworkErrors option answers);
    // Node's HTTP parser refuses the last two before Fastify sees a request (clientErrorHandler).
    // Each is still a full problem document with a request id of its own.
    const cases: [string, string, number][] = [
      ['400 undecodable URL (router)', `GET /v1/wards/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 400],
      [
        '400 over-long path parameter (router)',
        `GET /v1/wards/${'x'.repeat(250)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        400,
      ],
      [
        '431 header section over 16 KiB (HTTP parser)',
        `GET /v1/wards?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        431,
      ],
      [
        '400 malformed request line (HTTP parser)',
        'GET /v1/wards HTTP/1.1 extra\r\nHost: x\r\nConnection: close\r\n\r\n',
        400,
      ],
    ];
    const defects: string[] = [];
    const requestIds = new Set<string>();
    for (const [name, text, status] of cases) {
      const res = await sendRaw(base, text);
      if (res.status !== status) defects.push(`${name}: expected ${status}, got ${res.status}`);
      const contentType = String(res.headers['content-type'] ?? '');
      if (!contentType.startsWith('application/problem+json'))
        defects.push(`${name}: content-type ${contentType} (${res.body.slice(0, 120)})`);
      const missing = missingSecurityHeaders(res);
      if (missing.length) defects.push(`${name}: missing ${missing.join(', ')}`);
      // A request id the client can quote: in the body and in x-request-id, the same UUID the
      // app gives every request, and found in the log.
      const defect = problemDefect(res);
      if (defect) defects.push(`${name}: not a problem document (${defect})`);
      const requestId = String(res.headers['x-request-id'] ?? '');
      if (!UUID.test(requestId)) defects.push(`${name}: request id ${JSON.stringify(requestId)} is not a UUID`);
      else if (!ctx.logLines.some((line) => line.includes(requestId)))
        defects.push(`${name}: request id ${requestId} not in the log`);
      requestIds.add(requestId);
    }
    if (requestIds.size !== cases.length) defects.push(`request ids not distinct: ${[...requestIds].join(', ')}`);
    console.log(
      `[headers] ${cases.length} refusals that bypass the request hooks (router, HTTP parser): ${defects.length} defects`,
    );
    expect(defects).toEqual([]);
  });
});

/** A 500 from the database: a trigger (in this test's own database) refusing one marked item. */
async function forceInternalError(): Promise<SendResult> {
  const marker = 'Marked to make the database fail';
  await ctx.database.db.execute(
    sql.raw(`
    create or replace function test_headers_fail() returns trigger language plpgsql as $$
    begin
      if new.description = '${marker}' then raise exception 'refused item: %', new.description; end if;
      return new;
    end $$`),
  );
  await ctx.database.db.execute(
    sql.raw(
      `create trigger test_headers_fail before insert on items for each row execute function test_headers_fail()`,
    ),
  );
  try {
    const ward = world.org.wards[0]!;
    return await sendJson(base, 'POST', '/v1/briefings', ward.deviceToken, {
      ...briefingBody(ward.id, { date: '2026-09-02' }),
      items: [{ kind: 'risk', category: 'staffing', description: marker, consequence: 2, likelihood: 2 }],
    });
  } finally {
    await ctx.database.db.execute(sql.raw(`drop trigger test_headers_fail on items`));
    await ctx.database.db.execute(sql.raw(`drop function test_headers_fail()`));
  }
}

describe('CORS', () => {
  const preflight = (baseUrl: string, origin: string) =>
    send(baseUrl, {
      method: 'OPTIONS',
      path: '/v1/briefings',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });

  it('allows the configured origin, on answers and on problems, and in a preflight', async () => {
    const org = await buildWorld(corsCtx, 1);
    const ok = await sendJson(corsBase, 'GET', '/v1/wards', org.org.adminToken, undefined, {
      headers: { origin: ALLOWED_ORIGIN },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(String(ok.headers.vary)).toMatch(/origin/i);
    const problem = await sendJson(corsBase, 'GET', `/v1/wards/${randomUUID()}`, org.org.adminToken, undefined, {
      headers: { origin: ALLOWED_ORIGIN },
    });
    expect(problem.status).toBe(404);
    expect(problem.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    const pre = await preflight(corsBase, ALLOWED_ORIGIN);
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(String(pre.headers['access-control-allow-methods'])).toMatch(/POST/);
  });

  it('gives no Access-Control-Allow-Origin to any other origin, nor to any origin when none is configured', async () => {
    const others = [
      'https://evil.example',
      'https://ward-app.example.evil.com',
      'https://evil-ward-app.example',
      'http://ward-app.example',
      'https://ward-app.example:8443',
      'null',
      '*',
    ];
    const found: string[] = [];
    for (const origin of others) {
      for (const res of [
        await sendJson(corsBase, 'GET', '/health', undefined, undefined, { headers: { origin } }),
        await sendJson(corsBase, 'GET', '/v1/wards', undefined, undefined, { headers: { origin } }),
        await preflight(corsBase, origin),
      ]) {
        if (res.headers['access-control-allow-origin'] !== undefined)
          found.push(`${origin}: ${String(res.headers['access-control-allow-origin'])}`);
        if (res.headers['access-control-allow-credentials'] !== undefined) found.push(`${origin}: allow-credentials`);
      }
    }
    for (const res of [
      await sendJson(base, 'GET', '/v1/wards', world.org.adminToken, undefined, {
        headers: { origin: ALLOWED_ORIGIN },
      }),
      await preflight(base, ALLOWED_ORIGIN),
    ]) {
      if (res.headers['access-control-allow-origin'] !== undefined)
        found.push(`no CORS_ORIGINS: ${String(res.headers['access-control-allow-origin'])}`);
    }
    expect(found).toEqual([]);
  });
});

describe('size caps', () => {
  it('answers 413 with a problem document to a body over the limit on every write route, storing nothing', async () => {
    const writes = operations(ctx).filter((op) => op.secured && op.method !== 'GET' && op.body);
    expect(writes.length).toBeGreaterThanOrEqual(20);
    const counts = await rowCounts();
    const wrong: string[] = [];
    for (const [index, op] of writes.entries()) {
      const valid = JSON.stringify(validBody(world, op) ?? {});
      // Valid JSON, one byte over the limit: padding in a field the route does not know.
      const padding = ctx.config.bodyLimitBytes + 1 - Buffer.byteLength(valid) - '{"padding":"",'.length + 1;
      const body = `{"padding":"${'x'.repeat(padding)}",${valid.slice(1)}`;
      expect(Buffer.byteLength(body)).toBe(ctx.config.bodyLimitBytes + 1);
      const res = await send(base, {
        method: op.method,
        path: pathFor(world, op, index),
        headers: { authorization: `Bearer ${await tokenFor(ctx, world, op)}`, 'content-type': 'application/json' },
        body,
      });
      const defect = res.status === 413 ? problemDefect(res) : `status ${res.status}`;
      if (defect) wrong.push(`${label(op)}: ${defect}`);
    }
    expect(wrong).toEqual([]);
    expect(await rowCounts()).toEqual(counts);
    console.log(
      `[size] ${writes.length} write routes answered 413 (problem+json) to ${ctx.config.bodyLimitBytes + 1}-byte bodies; nothing stored`,
    );
  }, 60_000);

  it('refuses a page size over 200 on every paged list (and over its documented maximum elsewhere), and accepts the maximum', async () => {
    const limited = operations(ctx).filter((op) => op.method === 'GET' && op.query.some((q) => q.name === 'limit'));
    const paged = limited.filter((op) => op.query.some((q) => q.name === 'cursor'));
    expect(paged.length).toBeGreaterThanOrEqual(3);
    const wrong: string[] = [];
    for (const [index, op] of limited.entries()) {
      const max = op.query.find((q) => q.name === 'limit')!.schema.maximum ?? Number.POSITIVE_INFINITY;
      if (paged.includes(op) && !(max <= 200)) wrong.push(`${label(op)}: a paged list documents limit up to ${max}`);
      const token = await tokenFor(ctx, world, op);
      const required = validQuery(world, op);
      const path = `${pathFor(world, op, index)}${required ? `${required}&` : '?'}`;
      const ok = await sendJson(base, 'GET', `${path}limit=${max}`, token);
      if (ok.status !== 200) wrong.push(`${label(op)} limit=${max}: ${ok.status} ${ok.body.slice(0, 200)}`);
      for (const limit of [String(max + 1), '1000', '0', '-1', '1e3', '200.5', '99999999999999999999']) {
        const res = await sendJson(base, 'GET', `${path}limit=${limit}`, token);
        const defect = res.status === 400 ? problemDefect(res) : `status ${res.status}`;
        if (defect) wrong.push(`${label(op)} limit=${limit}: ${defect}`);
        else if (!res.body.includes('querystring.limit'))
          wrong.push(`${label(op)} limit=${limit}: does not name querystring.limit`);
      }
    }
    expect(wrong).toEqual([]);
    console.log(
      `[size] ${paged.length} paged lists (${paged.map(label).join(', ')}): limit 201, 1e3, 1e20, 0, -1, 200.5 -> 400 problem, 200 -> 200; ` +
        `${limited.length - paged.length} other routes with a limit refuse their documented maximum + 1`,
    );
  }, 60_000);
});

async function rowCounts() {
  const result = await ctx.database.db.execute(sql`
    select 'briefings' as table_name, count(*)::int as n from briefings
    union all select 'items', count(*)::int from items
    union all select 'wards', count(*)::int from wards
    union all select 'staff', count(*)::int from staff
    union all select 'api_tokens', count(*)::int from api_tokens
    union all select 'escalation_events', count(*)::int from escalation_events
    union all select 'priorities', count(*)::int from priorities
    union all select 'organisations', count(*)::int from organisations`);
  const rows = (result as { rows: { table_name: string; n: number }[] }).rows;
  return Object.fromEntries(rows.map((r) => [r.table_name, r.n]));
}
