/**
 * Hostile and malformed input (OWASP API4, API8), against the service as deployed: a real
 * process on a real port, fuzzed with fast-check through every route of its own OpenAPI
 * document. Bodies start valid and are mutated (fields dropped, duplicated, retyped; deep
 * nesting, huge strings, prototype keys, arrays for objects, numbers out of range, lone
 * surrogates, NUL), then come raw bytes that are not UTF-8, wrong content types, and bad
 * query strings and path ids on GET routes.
 *
 * Claims: no answer is a 5xx, every 4xx is an RFC 9457 problem document, no answer gives
 * internals away, the process never crashes (it answers /health afterwards), and its heap
 * after a full GC grows by a bounded amount. The seed is printed; replay a run with
 * FUZZ_SEED=<seed> npx vitest run test/security/fuzz.test.ts (FUZZ_RUNS scales the run count).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { killAllChildren, withTimeout } from '../helpers/processes.js';
import { heapAfterGc, send, spawnApiService, type HeapSample, type RunningService } from '../faults/service-harness.js';
import {
  HEAP_GROWTH_LIMIT_MB,
  MIN_RANDOM_REQUESTS,
  RANDOM_BUDGET_MS,
  RUNS,
  SEED,
  budget,
  budgeted,
  record,
  tally,
  violations,
  withinBudget,
  type Violation,
} from './fuzz-ledger.js';
import {
  CONTENT_TYPES,
  INVALID_UTF8,
  describeMutations,
  mutate,
  mutation,
  serialise,
  stringCount,
  toJson,
} from './mutations.js';
import { pathIdValue, queryValue } from './query-arbitraries.js';
import {
  buildWorld,
  isWrite,
  label,
  operations,
  pathFor,
  tokenFor,
  validBody,
  validQuery,
  type Operation,
  type World,
} from './route-world.js';

let ctx: TestContext;
let world: World;
let service: RunningService;
let ops: Operation[];
const tokens = new Map<string, string>();
const started = performance.now();
let heapBefore: HeapSample | null = null;
const warmUp: { route: string; status: number; body: string }[] = [];

function expectNoViolations(phase: string) {
  const found = violations.filter((v) => v.phase === phase);
  const distinct = new Map<string, Violation & { count: number }>();
  for (const v of found) {
    const key = `${v.route} ${v.problem}`;
    const seen = distinct.get(key);
    if (seen) seen.count++;
    else distinct.set(key, { ...v, count: 1 });
  }
  const report = [...distinct.values()]
    .map((v) => `- ${v.route}: ${v.problem} (x${v.count})\n    input: ${v.input}\n    answer: ${v.body}`)
    .join('\n');
  expect(found.length, `[fuzz] seed=${SEED} phase ${phase}: ${found.length} bad answers\n${report}`).toBe(0);
  expect(service.handle.isRunning(), `the service process died:\n${service.handle.stderr().slice(-3000)}`).toBe(true);
}

beforeAll(async () => {
  console.log(`[fuzz] seed=${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/security/fuzz.test.ts)`);
  ctx = await createTestContext();
  world = await buildWorld(ctx);
  ops = operations(ctx).filter((op) => op.secured);
  for (const op of ops) tokens.set(label(op), await tokenFor(ctx, world, op));
  service = await spawnApiService(
    { databaseUrl: ctx.config.databaseUrl!, redisUrl: ctx.config.redisUrl, queuePrefix: ctx.config.queuePrefix },
    { role: 'api', heapProbe: true },
  );
  await service.healthy();
  // Warm up (first compilation of each route's schemas) with one valid request per route,
  // then take the heap baseline.
  for (const [index, op] of ops.entries()) {
    const body = validBody(world, op);
    const res = await send(service.baseUrl, {
      method: op.method,
      path: `${pathFor(world, op, index)}${op.method === 'GET' ? validQuery(world, op) : ''}`,
      headers: { ...bearer(op), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    record('warm-up', op, 'valid request', res);
    warmUp.push({ route: label(op), status: res.status, body: res.body.slice(0, 300) });
  }
  heapBefore = await heapAfterGc(service);
}, 120_000);

afterAll(async () => {
  await killAllChildren('service');
  await withTimeout(ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch((error: unknown) =>
    console.error(error),
  );
});

const writeOps = () => ops.filter(isWrite);
const readOps = () => ops.filter((op) => !isWrite(op));
function bearer(op: Operation) {
  return { authorization: `Bearer ${tokens.get(label(op))}` };
}

describe('fuzzing every route of the running service', () => {
  it('covers every route of the OpenAPI document, each with a token that may call it and a valid request', () => {
    expect(writeOps().length).toBeGreaterThanOrEqual(25);
    expect(readOps().length).toBeGreaterThanOrEqual(20);
    // The starting point of the fuzzing is accepted, or refused only by the state of its target.
    const refused = warmUp.filter((w) => ![200, 201, 204, 404, 409, 422].includes(w.status));
    expect(refused.map((w) => `${w.route}: ${w.status} ${w.body}`)).toEqual([]);
    expectNoViolations('warm-up');
  });

  it('answers a fixed corpus of known-hostile requests on every route (the same in every run, whatever the seed)', async () => {
    const forged = (after: string) =>
      Buffer.from(JSON.stringify([after, '8387504f-008f-4ca1-b004-8f10925dbf5e'])).toString('base64url');
    for (const [index, op] of ops.entries()) {
      const path = pathFor(world, op, index);
      if (op.method === 'GET') {
        if (!op.query.some((q) => q.name === 'cursor')) continue;
        for (const after of ['garbage', '2026-13-45', '\u0000', '']) {
          const url = `${path}${validQuery(world, op) || '?'}&cursor=${forged(after)}`;
          record('corpus', op, url, await send(service.baseUrl, { method: 'GET', path: url, headers: bearer(op) }));
        }
        continue;
      }
      const base = toJson(validBody(world, op) ?? {});
      // Each string of the valid body in turn (one request each), so validation of the others passes.
      const eachString = (what: string, value: string): [string, string, Record<string, string>][] =>
        Array.from({ length: stringCount(base) }, (_, at) => [
          `${what} in string #${at}`,
          serialise(mutate(base, [{ kind: 'unicode', at, value }])),
          {},
        ]);
      const bodies: [string, string, Record<string, string>][] = [
        ...eachString('NUL', 'before\u0000after'),
        ...eachString('a lone surrogate', 'pump \ud800 failing'),
        ['an empty object', '{}', {}],
        [
          '100 000 nested arrays, with an Idempotency-Key',
          `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
          { 'idempotency-key': 'deep-nesting' },
        ],
        [
          'an own __proto__ key',
          serialise(
            mutate(base, [
              { kind: 'unknown-key', at: 0, key: '__proto__', value: { k: 'raw', text: '{"role":"org_admin"}' } },
            ]),
          ),
          {},
        ],
      ];
      for (const [what, body, headers] of bodies) {
        const res = await send(service.baseUrl, {
          method: op.method,
          path,
          headers: { ...bearer(op), 'content-type': 'application/json', ...headers },
          body,
        });
        record('corpus', op, what, res);
      }
    }
    expectNoViolations('corpus');
  }, 60_000);

  it('answers mutated JSON bodies on every write route with a 4xx problem document or a success, never a 5xx', async () => {
    // The random phases (this and the next three) share one time budget, spread over their properties.
    budget.runsLeft =
      writeOps().length * (RUNS.bodyPerRoute + RUNS.rawPerRoute + RUNS.contentTypePerRoute) +
      readOps().length * RUNS.queryPerRoute;
    budget.deadline = Date.now() + RANDOM_BUDGET_MS;
    for (const [index, op] of writeOps().entries()) {
      const base = validBody(world, op);
      const path = pathFor(world, op, ops.indexOf(op));
      const idempotencyKey = fc.option(
        fc.oneof(
          fc.uuid(),
          fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
        ),
        { freq: 3 },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), idempotencyKey, async (mutations, key) => {
          if (!withinBudget()) return true;
          const text = serialise(mutate(toJson(base ?? {}), mutations));
          const res = await send(service.baseUrl, {
            method: op.method,
            path,
            headers: {
              ...bearer(op),
              'content-type': 'application/json',
              ...(key === null ? {} : { 'idempotency-key': key }),
            },
            body: text,
          });
          record('body', op, `${describeMutations(mutations)} key=${JSON.stringify(key)}`, res);
          return true;
        }),
        budgeted(SEED + index, RUNS.bodyPerRoute),
      );
    }
    expectNoViolations('body');
  }, 120_000);

  it('answers bytes that are not UTF-8, truncated JSON and garbage the same way', async () => {
    for (const [index, op] of writeOps().entries()) {
      const text = JSON.stringify(validBody(world, op) ?? { note: 'x' });
      const path = pathFor(world, op, ops.indexOf(op));
      const rawBody = fc.oneof(
        fc
          .tuple(fc.constantFrom(...INVALID_UTF8), fc.nat({ max: text.length }))
          .map(([bytes, at]) =>
            Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]),
          ),
        // Inside a string value, where a lenient decoder would let it through to the database.
        fc.constantFrom(...INVALID_UTF8).map((bytes) => {
          const at = text.indexOf('":"') + 3;
          return at > 2
            ? Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))])
            : Buffer.from(bytes);
        }),
        fc.nat({ max: text.length }).map((cut) => Buffer.from(text.slice(0, cut))),
        fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
        fc
          .constantFrom(
            '',
            'null',
            '[]',
            '""',
            '0',
            'true',
            '{',
            '}',
            '{"a":1,}',
            "{'a':1}",
            '\ufeff{}',
            '{"a":1}{"b":2}',
            'NaN',
          )
          .map((s) => Buffer.from(s)),
      );
      await fc.assert(
        fc.asyncProperty(rawBody, async (body) => {
          if (!withinBudget()) return true;
          const res = await send(service.baseUrl, {
            method: op.method,
            path,
            headers: { ...bearer(op), 'content-type': 'application/json' },
            body,
          });
          record('raw', op, `bytes ${body.subarray(0, 200).toString('hex')}`, res);
          return true;
        }),
        budgeted(SEED + 1_000 + index, RUNS.rawPerRoute),
      );
    }
    expectNoViolations('raw');
  }, 60_000);

  it('answers wrong content types with 415 (or 400), never a 5xx', async () => {
    for (const [index, op] of writeOps().entries()) {
      const text = JSON.stringify(validBody(world, op) ?? {});
      const path = pathFor(world, op, ops.indexOf(op));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...CONTENT_TYPES, null), async (contentType) => {
          if (!withinBudget()) return true;
          const res = await send(service.baseUrl, {
            method: op.method,
            path,
            headers: { ...bearer(op), ...(contentType === null ? {} : { 'content-type': contentType }) },
            body: text,
          });
          record('content-type', op, `content-type ${JSON.stringify(contentType)}`, res);
          return true;
        }),
        budgeted(SEED + 2_000 + index, RUNS.contentTypePerRoute),
      );
    }
    expectNoViolations('content-type');
  }, 60_000);

  it('answers bad query parameters and path ids on every GET route, including forged cursors', async () => {
    for (const [index, op] of readOps().entries()) {
      const path = pathFor(world, op, ops.indexOf(op));
      const declared = op.query.map((q) => q.name);
      const name = fc.oneof(...(declared.length ? [{ arbitrary: fc.constantFrom(...declared), weight: 3 }] : []), {
        arbitrary: fc.constantFrom('unknown', '__proto__', 'constructor', 'limit', 'cursor'),
        weight: 1,
      });
      const param = fc.record({
        name,
        value: queryValue(op, world.org.wards[0]!.id),
        form: fc.constantFrom('plain', 'plain', 'plain', 'array', 'nested', 'duplicate', 'no-value'),
      });
      const pathId = fc.option(pathIdValue, { freq: 4 });
      await fc.assert(
        fc.asyncProperty(fc.array(param, { minLength: 1, maxLength: 4 }), pathId, async (params, id) => {
          if (!withinBudget()) return true;
          const query = params
            .map(({ name, value, form }) => {
              const n = encodeURIComponent(name);
              if (form === 'array') return `${n}[]=${value}`;
              if (form === 'nested') return `${n}[a]=${value}`;
              if (form === 'duplicate') return `${n}=${value}&${n}=${value}x`;
              if (form === 'no-value') return n;
              return `${n}=${value}`;
            })
            .join('&');
          const target =
            id !== null && op.path.includes('{id}') ? path.replace(/\/[0-9a-f-]{36}(?=\/|$)/, `/${id}`) : path;
          const base = validQuery(world, op);
          const url = `${target}${base ? `${base}&` : '?'}${query}`;
          const res = await send(service.baseUrl, { method: 'GET', path: url, headers: bearer(op) });
          record('query', op, url, res);
          return true;
        }),
        budgeted(SEED + 3_000 + index, RUNS.queryPerRoute),
      );
    }
    expectNoViolations('query');
  }, 120_000);

  it('is still up, and its heap after a full GC grew by a bounded amount', async () => {
    expect(heapBefore, 'the warm-up test took the heap baseline').not.toBeNull();
    const health = await send(service.baseUrl, { method: 'GET', path: '/health' });
    expect(health.status).toBe(200);
    expect(service.handle.isRunning()).toBe(true);
    const after = await heapAfterGc(service);
    const mb = (n: number) => n / 1024 / 1024;
    const growth = mb(after.heapUsed - heapBefore!.heapUsed);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[fuzz] seed=${SEED}: ${tally.sent} requests (${Object.entries(tally.byPhase)
        .map(([p, n]) => `${p} ${n} in ${((tally.msByPhase[p] ?? 0) / 1000).toFixed(1)} s`)
        .join(', ')}) on ` +
        `${writeOps().length} write and ${readOps().length} GET routes in ${seconds.toFixed(0)} s: ` +
        `2xx ${tally['2xx']}, 4xx ${tally['4xx']}, 5xx ${tally['5xx']}, no answer ${tally.noAnswer}; ` +
        `${budget.skipped} generated cases left unsent by the ${RANDOM_BUDGET_MS / 1000} s budget; ` +
        `bad answers ${violations.length}; process crashes 0 (/health 200 after); ` +
        `slowest ${tally.slowest.ms.toFixed(0)} ms (${tally.slowest.what}); heap after GC ${mb(heapBefore!.heapUsed).toFixed(1)} -> ${mb(after.heapUsed).toFixed(1)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB, ` +
        `limit +${HEAP_GROWTH_LIMIT_MB} MB); RSS ${mb(heapBefore!.rss).toFixed(0)} -> ${mb(after.rss).toFixed(0)} MB`,
    );
    expect(growth).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
    const random = ['body', 'raw', 'content-type', 'query'].reduce((n, phase) => n + (tally.byPhase[phase] ?? 0), 0);
    expect(random, `requests sent in the random phases within ${RANDOM_BUDGET_MS} ms`).toBeGreaterThanOrEqual(
      MIN_RANDOM_REQUESTS,
    );
    expect(tally.noAnswer).toBe(0);
  }, 30_000);
});
