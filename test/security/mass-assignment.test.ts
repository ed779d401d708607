/**
 * Mass assignment (OWASP API3 / API6): a client adds server-owned fields (ids, the tenant, risk
 * grading, states, the assignee, the step, token hashes, roles...) to an otherwise valid body,
 * on every write route of the running app's OpenAPI document, at the top level and inside
 * nested objects. Every such request is refused with 400 naming the field, and not one row of
 * the database changes.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { call } from '../helpers/fixtures.js';
import {
  buildWorld,
  label,
  operations,
  pathFor,
  tokenFor,
  validBody,
  type JsonSchema,
  type World,
} from './route-world.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
const RUNS_PER_ROUTE = 12;

/** Tables whose every row must be unchanged by the refused requests (the outbox is the relay's). */
const TABLES = [
  'organisations',
  'wards',
  'staff',
  'staff_wards',
  'api_tokens',
  'briefings',
  'items',
  'escalation_policies',
  'escalations',
  'escalation_assignees',
  'escalation_events',
  'escalation_actions',
  'notifications',
  'position_changes',
  'priorities',
  'item_priorities',
  'audit_events',
  'idempotency_keys',
];

let ctx: TestContext;
let world: World;

beforeAll(async () => {
  console.log(
    `[mass-assignment] seed=${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/security/mass-assignment.test.ts)`,
  );
  ctx = await createTestContext();
  world = await buildWorld(ctx, 4);
}, 60_000);
afterAll(() => ctx?.close());

/** Fields the server owns, each with values an attacker would like to set. */
function serverOwned(w: World): Record<string, fc.Arbitrary<unknown>> {
  const someone = fc.constantFrom(w.org.seniorManager.id, w.org.clinician.id, w.other.clinician.id, randomUUID());
  const when = fc.constantFrom('2020-01-01T00:00:00Z', '2099-12-31T23:59:59Z', '1970-01-01');
  return {
    id: fc.constantFrom(w.escalatedItems[0]!.itemId, w.org.wards[1]!.id, randomUUID()),
    organisationId: fc.constantFrom(w.other.id, w.org.id, randomUUID()),
    status: fc.constantFrom('resolved', 'open', 'closed'),
    riskScore: fc.constantFrom(1, 25, 0, 1000),
    riskBand: fc.constantFrom('low', 'extreme'),
    createdAt: when,
    updatedAt: when,
    resolvedAt: when,
    dueAt: when,
    alignment: fc.constant({
      state: 'aligned_for_change',
      agreementReachedAt: '2020-01-01T00:00:00Z',
      priorityAligned: true,
    }),
    state: fc.constantFrom('resolved', 'acknowledged', 'in_progress'),
    assigneeStaffId: someone,
    step: fc.constantFrom(0, 99, -1),
    level: fc.constantFrom(0, 4),
    tokenHash: fc.constant('0'.repeat(64)),
    role: fc.constantFrom('org_admin', 'platform_admin', 'senior_manager'),
    kind: fc.constantFrom('platform_admin', 'ward_device'),
    revokedAt: fc.constantFrom(null, '2020-01-01T00:00:00Z'),
    recordedByTokenId: fc.constant(randomUUID()),
    escalation: fc.constant({ id: randomUUID(), state: 'resolved' }),
    recurrence: fc.constant({ source: 'manual', timesRaised: 1 }),
    webhookSecret: fc.constant('whsec_attacker'),
    seq: fc.constant(1),
    hash: fc.constant('0'.repeat(64)),
    organisation: fc.constant({ id: w.other.id }),
  };
}

/** Objects inside a body where a server-owned field could hide, by path. */
function nestedTargets(body: unknown): string[][] {
  const found: string[][] = [];
  const visit = (value: unknown, path: string[]) => {
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, String(i)]));
    else if (value && typeof value === 'object') {
      found.push(path);
      for (const [key, v] of Object.entries(value)) visit(v, [...path, key]);
    }
  };
  visit(body, []);
  return found;
}

function knownFields(schema: JsonSchema | null, path: string[]): Set<string> {
  let current: JsonSchema | undefined = schema ?? undefined;
  for (const part of path) {
    if (!current) break;
    current = /^\d+$/.test(part) ? current.items : current.properties?.[part];
    if (current?.anyOf) current = current.anyOf[0];
  }
  const variants = schema?.anyOf && path.length === 0 ? schema.anyOf : [current ?? {}];
  return new Set(variants.flatMap((v) => Object.keys(v.properties ?? {})));
}

/** Columns the service writes on every use, not from a body: a token's last use (at most once a minute). */
const USE_COLUMNS: Record<string, string> = { api_tokens: "- 'last_used_at'" };

async function snapshot() {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const row = `(to_jsonb(t) ${USE_COLUMNS[table] ?? ''})`;
    const result = await ctx.database.db.execute(
      sql.raw(`select coalesce(jsonb_agg(${row} order by ${row}::text), '[]') as rows from ${table} t`),
    );
    out[table] = JSON.stringify((result as { rows: { rows: unknown }[] }).rows[0]?.rows);
  }
  return out;
}

describe('server-owned fields in request bodies', () => {
  it('are refused with 400 naming the field on every write route, and change nothing in the database', async () => {
    const writes = operations(ctx).filter((op) => op.secured && op.method !== 'GET' && op.body);
    expect(writes.length).toBeGreaterThanOrEqual(20);
    const tokens = new Map<string, string>();
    for (const op of writes) tokens.set(label(op), await tokenFor(ctx, world, op));
    const before = await snapshot();
    const owned = serverOwned(world);
    const wrong: string[] = [];
    let sent = 0;
    const fieldsTried = new Set<string>();

    for (const [index, op] of writes.entries()) {
      const base = validBody(world, op);
      const targets = nestedTargets(base);
      const injection = fc
        .record({
          target: fc.constantFrom(...targets),
          fields: fc.shuffledSubarray(Object.keys(owned), { minLength: 1, maxLength: 4 }),
        })
        .filter(({ target, fields }) => {
          const known = knownFields(op.body, target);
          return fields.some((f) => !known.has(f));
        })
        .chain(({ target, fields }) => {
          const known = knownFields(op.body, target);
          const extra = fields.filter((f) => !known.has(f));
          return fc.record(Object.fromEntries(extra.map((f) => [f, owned[f]!]))).map((values) => ({ target, values }));
        });
      await fc.assert(
        fc.asyncProperty(injection, async ({ target, values }) => {
          const body = structuredClone(base) as Record<string, unknown>;
          let node: Record<string, unknown> = body;
          for (const part of target) node = node[part] as Record<string, unknown>;
          Object.assign(node, values);
          const res = await call(ctx.app, {
            method: op.method,
            url: pathFor(world, op, index),
            token: tokens.get(label(op)),
            payload: body,
          });
          sent++;
          for (const field of Object.keys(values)) fieldsTried.add(field);
          const where = ['body', ...target].join('.');
          const named = Object.keys(values).every((field) =>
            (res.body?.errors ?? []).some(
              (e: { path: string; message: string }) =>
                e.path === `${where}.${field}` && /not a known field/.test(e.message),
            ),
          );
          if (res.status !== 400 || !named) {
            wrong.push(`${label(op)} + ${JSON.stringify(values)} at ${where}: ${res.status} ${res.raw.slice(0, 300)}`);
          }
          return true;
        }),
        { seed: SEED + index, numRuns: RUNS_PER_ROUTE },
      );
    }

    const after = await snapshot();
    const changed = TABLES.filter((table) => before[table] !== after[table]);
    console.log(
      `[mass-assignment] seed=${SEED}: ${sent} requests on ${writes.length} write routes adding ${fieldsTried.size} kinds of server-owned ` +
        `field (top level and nested): ${sent - wrong.length} refused with 400 naming the field, ${wrong.length} not; ` +
        `tables changed: ${changed.length ? changed.join(', ') : 'none'} (${TABLES.length} compared row by row)`,
    );
    expect(wrong).toEqual([]);
    expect(changed).toEqual([]);
  }, 90_000);

  it('a clinician cannot make themselves an org admin, nor reach another organisation, through any body', async () => {
    const before = await snapshot();
    const attempts = [
      call(ctx.app, {
        method: 'POST',
        url: '/v1/tokens',
        token: world.org.clinician.token,
        payload: { staffId: world.org.clinician.id, role: 'org_admin' },
      }),
      call(ctx.app, {
        method: 'POST',
        url: '/v1/staff',
        token: world.org.adminToken,
        payload: {
          id: world.org.clinician.id,
          name: 'Same person',
          email: 'same.person@example.nhs.uk',
          role: 'clinician',
          organisationId: world.other.id,
        },
      }),
      call(ctx.app, {
        method: 'POST',
        url: `/v1/items/${world.escalatedItems[1]!.itemId}/resolve`,
        token: world.org.clinician.token,
        payload: { note: 'done', organisationId: world.other.id, status: 'resolved' },
      }),
    ];
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    expect(statuses).toEqual([403, 400, 400]);
    expect(await snapshot()).toEqual(before);
  });
});
