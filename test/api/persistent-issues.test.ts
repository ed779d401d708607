/**
 * Persistent issues (GET /v1/items?persistent=true and the ward briefing pack) against the rule
 * worked out here from every item of the trust: threads with an open item, raised often enough
 * or open long enough, ranked by persistenceRank and ordered by byPersistence, each shown by its
 * latest item. The trust's history goes through every write path that changes a thread: repeats
 * named and detected, items added after the briefing, resolved, voided (a repeat, the first item
 * of a thread, a lone item), amended to another band, and a repeat link undone.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { rows } from '../../src/db/sql.js';
import { localDateOf, addDays } from '../../src/domain/calendar.js';
import { byPersistence, daysBetween, isPersistent, persistenceRank } from '../../src/domain/persistence.js';
import { persistentItems } from '../../src/items/persistent.js';
import { recordingDatabase } from '../../bench/lib/database.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { briefingBody, del, get, patch, post, type Organisation, type UntypedJson } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
let other: Organisation;

beforeAll(async () => {
  ({ ctx, org, other } = await startApiTest({ organisations: 2 }));
  await buildHistory();
  await manyLoneIssues(other, 300);
  // Statistics as a live database keeps them, so the planner sees the tables as they are.
  await ctx.database.db.execute(sql`analyze items`);
}, 60_000);
afterAll(() => ctx?.close());

const today = () => localDateOf(new Date());
const daysAgo = (n: number) => addDays(today(), -n);

const held = new Set<string>();
/** One briefing on the ward `n` days ago: the day shift's, or the night shift's when that is taken. */
async function raise(o: Organisation, wardIndex: number, n: number, items: Record<string, unknown>[]) {
  const ward = o.wards[wardIndex]!;
  const shift = held.has(`${ward.id} ${n} day`) ? 'night' : 'day';
  held.add(`${ward.id} ${n} ${shift}`);
  const res = await post(
    ctx.app,
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, { date: daysAgo(n), shift, items }),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body.items as UntypedJson[]).map((i) => ({ id: i.id as string, briefingId: res.body.id as string }));
}

const issue = (description: string, consequence: number, likelihood: number, extra: Record<string, unknown> = {}) => ({
  kind: 'problem',
  category: 'equipment',
  description,
  consequence,
  likelihood,
  ...extra,
});
const goodPractice = (description: string) => ({ kind: 'good_practice', category: 'communication', description });

async function ok(res: Promise<{ status: number; body: UntypedJson }>, status = 200) {
  const answer = await res;
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return answer.body;
}

const reason = { reason: 'Entered against the wrong bed in error' };

/** The first organisation's history: both wards, every kind of thread. */
async function buildHistory() {
  const device = org.wards[0]!.deviceToken;
  // Lone issues at several bands and ages, two of them raised the same day at the same risk.
  const [lonelyOld] = await raise(org, 0, 40, [
    issue('Sluice door closer broken', 2, 2),
    goodPractice('Safety huddle kept'),
  ]);
  await raise(org, 0, 20, [issue('Hoist battery will not hold charge', 4, 4), issue('Bay 2 curtain rail loose', 4, 4)]);
  await raise(org, 0, 20, [issue('Drug fridge thermometer unreadable', 4, 4)]);
  await raise(org, 0, 10, [issue('Bed rails sticking on bay 1 beds', 3, 3)]);
  const [young] = await raise(org, 0, 3, [issue('Commode in side room cracked', 2, 3)]);

  // A thread raised three times (named repeats), its first raising since resolved.
  const [first] = await raise(org, 0, 30, [issue('Phlebotomy round missed the ward entirely', 5, 4)]);
  const [second] = await raise(org, 0, 12, [
    issue('Phlebotomy round missed us again', 2, 2, { recurrenceOf: first!.id }),
  ]);
  await raise(org, 0, 6, [issue('Phlebotomy round late once more', 2, 2, { recurrenceOf: second!.id })]);
  await ok(post(ctx.app, `/v1/items/${first!.id}/resolve`, device, { note: 'Round restored' }));

  // A thread whose first item is voided while its repeats stay open.
  const [voidedRoot] = await raise(org, 0, 25, [issue('Suction unit missing from bay 4', 5, 5)]);
  const [keptRepeat] = await raise(org, 0, 9, [
    issue('Suction unit still missing', 3, 2, { recurrenceOf: voidedRoot!.id }),
  ]);
  await raise(org, 0, 4, [issue('Suction unit not yet replaced', 3, 2, { recurrenceOf: keptRepeat!.id })]);
  await ok(post(ctx.app, `/v1/items/${voidedRoot!.id}/void`, device, reason));

  // A lone issue whose only repeat was voided, and a voided lone issue.
  const [voidedRepeatRoot] = await raise(org, 0, 18, [issue('Oxygen cylinder empty on the resus trolley', 4, 3)]);
  const [voidedRepeat] = await raise(org, 0, 2, [
    issue('Oxygen cylinder empty again', 4, 5, { recurrenceOf: voidedRepeatRoot!.id }),
  ]);
  await ok(post(ctx.app, `/v1/items/${voidedRepeat!.id}/void`, device, reason));
  const [voidedLone] = await raise(org, 0, 50, [issue('Wrong ward entered', 5, 5)]);
  await ok(post(ctx.app, `/v1/items/${voidedLone!.id}/void`, device, reason));

  // Amended to another band: a lone issue up, a repeat of a thread down.
  await ok(patch(ctx.app, `/v1/items/${lonelyOld!.id}`, device, { consequence: 5, likelihood: 3, ...reason }));
  const [amendedRoot] = await raise(org, 0, 16, [issue('Call bells not working in bay 3', 3, 3)]);
  const [amendedRepeat] = await raise(org, 0, 8, [
    issue('Call bells faulty again', 4, 4, { recurrenceOf: amendedRoot!.id }),
  ]);
  await ok(patch(ctx.app, `/v1/items/${amendedRepeat!.id}`, device, { consequence: 1, likelihood: 1, ...reason }));

  // A repeat link undone: the repeat and its own repeat become a thread of their own.
  const [wrongRoot] = await raise(org, 0, 22, [issue('Echo slots not available this week', 2, 4)]);
  const [wrongRepeat] = await raise(org, 0, 15, [
    issue('Ultrasound list cancelled', 3, 4, { recurrenceOf: wrongRoot!.id }),
  ]);
  await raise(org, 0, 14, [issue('Ultrasound list cancelled again', 3, 4, { recurrenceOf: wrongRepeat!.id })]);
  await ok(del(ctx.app, `/v1/items/${wrongRepeat!.id}/recurrence`, device));

  // A repeat detected by wording, added to a briefing after it was recorded.
  const [detected] = await raise(org, 0, 11, [issue('Blood gas analyser out of cartridges again today', 3, 4)]);
  const [laterBriefing] = await raise(org, 0, 7, [goodPractice('Falls huddle held')]);
  await ok(
    post(ctx.app, `/v1/briefings/${laterBriefing!.briefingId}/items`, device, {
      items: [issue('Blood gas analyser out of cartridges again today', 3, 4)],
    }),
    201,
  );
  expect(detected).toBeDefined();

  // The second ward: a thread with a resolved repeat, a resolved lone issue, old lone issues.
  const [otherWardRoot] = await raise(org, 1, 35, [issue('Pressure mattress pump alarming', 4, 5)]);
  const [resolvedRepeat] = await raise(org, 1, 30, [
    issue('Mattress pump alarm again', 4, 5, { recurrenceOf: otherWardRoot!.id }),
  ]);
  await ok(
    post(ctx.app, `/v1/items/${resolvedRepeat!.id}/resolve`, org.wards[1]!.deviceToken, { note: 'Pump swapped' }),
  );
  const [resolvedLone] = await raise(org, 1, 45, [issue('Linen cupboard empty', 5, 5)]);
  await ok(post(ctx.app, `/v1/items/${resolvedLone!.id}/resolve`, org.wards[1]!.deviceToken, { note: 'Delivered' }));
  await raise(org, 1, 19, [issue('Staff room heater broken', 1, 2), issue('Keypad on store room sticks', 1, 2)]);
  await raise(org, 1, 1, [issue('Agency nurse without a log-in', 3, 3)]);
  expect(young).toBeDefined();
}

/**
 * Many open lone issues at three risks, several on each date: written directly (as the bench
 * generator writes a year), copying a recorded item so every column is as the service writes it.
 */
async function manyLoneIssues(o: Organisation, count: number) {
  const [template] = await raise(o, 0, 1, [issue('Template issue', 3, 3)]);
  await ctx.database.db.execute(sql`
    insert into items (id, organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description,
      consequence, likelihood, risk_score, risk_band, status, alignment, created_at)
    select gen_random_uuid(), t.organisation_id, t.ward_id, t.briefing_id, ${today()}::date - (15 + n % 40),
      t.position, t.kind, t.category, 'Lone issue ' || n, 3, 1 + n % 3, 3 * (1 + n % 3),
      case when n % 3 = 0 then 'low' when n % 3 = 1 then 'moderate' else 'high' end, 'open',
      t.alignment, t.created_at
    from items t, generate_series(1, ${count}) n where t.id = ${template!.id}::uuid`);
}

/** Orders the greater (later) value first, comparing code units as PostgreSQL compares uuids. */
const later = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

interface ItemFacts {
  id: string;
  thread_id: string | null;
  ward_id: string;
  status: string;
  kind: string;
  voided: boolean;
  raised_on: string;
  risk_score: number | null;
  created_at: string;
}

interface Expected {
  id: string;
  rank: number;
}

/** The ranking worked out from every item of the organisation, as the rule states it. */
async function expectedRanking(
  organisationId: string,
  wards: 'all' | string[],
  options: { limit: number; today: string; minRaised: number; minDays: number },
): Promise<Expected[]> {
  const all = await rows<ItemFacts>(
    ctx.database.db,
    sql`select id, thread_id, ward_id, status, kind, voided_at is not null as voided, raised_on::text,
      risk_score, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as created_at from items where organisation_id = ${organisationId}::uuid`,
  );
  const counted = (i: ItemFacts) =>
    i.kind !== 'good_practice' && !i.voided && (wards === 'all' || wards.includes(i.ward_id));
  const keyOf = (i: ItemFacts) => i.thread_id ?? i.id;
  const threads = new Map<string, ItemFacts[]>();
  for (const item of all.filter(counted)) threads.set(keyOf(item), [...(threads.get(keyOf(item)) ?? []), item]);
  const ranked = [...threads.entries()]
    .filter(([, members]) => members.some((m) => m.status === 'open'))
    .map(([threadId, members]) => {
      const firstRaisedOn = members.map((m) => m.raised_on).sort()[0]!;
      const stats = {
        riskScore: Math.max(0, ...members.map((m) => m.risk_score ?? 0)),
        timesRaised: members.length,
        daysOpen: daysBetween(firstRaisedOn, options.today),
      };
      // The latest: raised last, then recorded last, then the greatest id.
      const latest = [...members].sort(
        (a, b) => later(a.raised_on, b.raised_on) || later(a.created_at, b.created_at) || later(a.id, b.id),
      )[0]!;
      return { ...stats, threadId, latest: latest.id, rank: persistenceRank(stats) };
    })
    .filter((t) => isPersistent(t, { minRaised: options.minRaised, minDaysOpen: options.minDays }))
    .sort(byPersistence)
    .slice(0, options.limit);
  return ranked.map((t) => ({ id: t.latest, rank: Math.round(t.rank * 100) / 100 }));
}

const DEFAULTS = { minRaised: 3, minDays: 14 };

describe('persistent issues: the same answer as the rule, for every caller and filter', () => {
  const readers = () => [
    { who: 'governance (every ward)', token: org.governance.token, wards: 'all' as const },
    { who: 'senior manager (every ward)', token: org.seniorManager.token, wards: 'all' as const },
    { who: 'middle manager (first ward)', token: org.middleManager.token, wards: [org.wards[0]!.id] },
    { who: 'second ward device', token: org.wards[1]!.deviceToken, wards: [org.wards[1]!.id] },
  ];

  it('lists the threads of each reader, whole and cut to short pages', async () => {
    for (const reader of readers()) {
      for (const limit of [1, 2, 3, 5, 50]) {
        const answer = await ok(get(ctx.app, `/v1/items?persistent=true&limit=${limit}`, reader.token));
        const expected = await expectedRanking(org.id, reader.wards, { limit, today: today(), ...DEFAULTS });
        const got = answer.data.map((i: UntypedJson) => ({ id: i.id, rank: i.rank }));
        expect(got, `${reader.who}, limit ${limit}`).toEqual(expected);
        expect(answer.nextCursor).toBeNull();
      }
    }
    // The dataset covers what it claims: repeats, both wards, more threads than a short page.
    const everyWard = await expectedRanking(org.id, 'all', { limit: 50, today: today(), ...DEFAULTS });
    expect(everyWard.length).toBeGreaterThan(10);
  });

  it('lists one ward when asked, as the ward briefing pack does, and ignores a list cursor', async () => {
    const listed = await ok(get(ctx.app, `/v1/items?limit=2`, org.governance.token));
    expect(listed.nextCursor).not.toBeNull();
    for (const [index, ward] of org.wards.entries()) {
      for (const limit of [1, 4, 10, 50]) {
        const url = `/v1/items?persistent=true&wardId=${ward.id}&limit=${limit}&cursor=${listed.nextCursor}`;
        const answer = await ok(get(ctx.app, url, org.governance.token));
        const expected = await expectedRanking(org.id, [ward.id], { limit, today: today(), ...DEFAULTS });
        expect(
          answer.data.map((i: UntypedJson) => ({ id: i.id, rank: i.rank })),
          `ward ${index + 1}, limit ${limit}`,
        ).toEqual(expected);
      }
    }
  });

  it('follows the thresholds and the day it is asked on', async () => {
    const principal: TenantPrincipal = {
      tokenId: 'thresholds-check',
      role: 'governance',
      organisationId: org.id,
      staffId: null,
      wardIds: [],
    };
    for (const [minRaised, minDays] of [
      [2, 14],
      [3, 0],
      [99, 30],
      [2, 99],
    ] as const) {
      for (const laterDays of [0, 45]) {
        const on = addDays(today(), laterDays);
        const deps = {
          db: ctx.database.db,
          relay: { nudge: () => {} },
          tuning: { ...ctx.config.tuning, persistentMinRaised: minRaised, persistentMinDays: minDays },
        };
        for (const limit of [1, 3, 50]) {
          const got = await persistentItems(deps, principal, { limit }, new Date(`${on}T12:00:00Z`));
          const expected = await expectedRanking(org.id, 'all', { limit, today: on, minRaised, minDays });
          expect(
            got.map((r) => ({ id: r.item.id, rank: r.rank })),
            `minRaised ${minRaised}, minDays ${minDays}, ${laterDays} days on, limit ${limit}`,
          ).toEqual(expected);
        }
      }
    }
  });

  it('ranks many lone issues of equal risk and age the same way (ties by thread)', async () => {
    for (const limit of [1, 7, 50, 200]) {
      const answer = await ok(get(ctx.app, `/v1/items?persistent=true&limit=${limit}`, other.governance.token));
      const expected = await expectedRanking(other.id, 'all', { limit, today: today(), ...DEFAULTS });
      expect(answer.data.map((i: UntypedJson) => ({ id: i.id, rank: i.rank }))).toEqual(expected);
    }
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

/** Rows the statement's scans of items handed on, summed over every scan and every loop. */
function itemRowsRead(node: PlanNode): number {
  const own = node['Relation Name'] === 'items' ? node['Actual Rows'] * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + itemRowsRead(child), 0);
}

describe('persistent issues of a whole trust: cost', () => {
  it('reads a bounded number of open items for a short page, not every open thread of the trust', async () => {
    const recording = recordingDatabase(ctx.config.databaseUrl!);
    try {
      const principal: TenantPrincipal = {
        tokenId: 'cost-check',
        role: 'governance',
        organisationId: other.id,
        staffId: null,
        wardIds: [],
      };
      const deps = { db: recording.db, relay: { nudge: () => {} } };
      const { statements } = await recording.record(() => persistentItems(deps, principal, { limit: 5 }));
      const client = new pg.Client({ connectionString: ctx.config.databaseUrl! });
      await client.connect();
      try {
        const explained = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${statements[0]!.text}`,
          statements[0]!.values,
        );
        const read = itemRowsRead(explained.rows[0]!['QUERY PLAN'][0].Plan);
        // 300 open lone issues at three risks: a page of 5 needs at most 5 of each risk.
        expect(read).toBeLessThanOrEqual(3 * 5 + 10);
      } finally {
        await client.end();
      }
    } finally {
      await recording.close();
    }
  });
});
