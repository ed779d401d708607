/**
 * EXPLAIN (ANALYZE, BUFFERS) of the hot queries, exactly as the service sends them: each service
 * function is run once on a recording connection and its statement explained with its parameters.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { resolvePrincipal } from '../../src/auth/plugin.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { inbox } from '../../src/escalations/queries.js';
import { threadSummaries } from '../../src/items/present.js';
import { persistentItems } from '../../src/items/persistent.js';
import { listItems } from '../../src/items/service.js';
import { detectRecurrences } from '../../src/recurrence/detect.js';
import { recordingDatabase, type RecordedStatement } from '../lib/database.js';
import { sealPendingAudit } from '../../src/audit/sealer.js';
import type { BenchContext } from '../lib/context.js';
import { tokenFor } from '../lib/generate.js';
import { WHOLE_TRUST_PERSISTENT } from '../lib/goals.js';

export interface PlanResult {
  name: string;
  hotPath: string;
  sql: string;
  executionMs: number | null;
  /** Sequential scans of items or escalations: flagged on a hot path. */
  seqScans: string[];
  plan: string;
}

type Recorder = ReturnType<typeof recordingDatabase>;
interface PlanCase {
  name: string;
  hotPath: string;
  statement: RecordedStatement;
}

/** The first statement a service function sends, recorded in-process. */
const firstOf = (rec: Recorder) => async (work: () => Promise<unknown>) => (await rec.record(work)).statements[0]!;

/** The statements of a ward's and a manager's screens. */
async function readingCases(ctx: BenchContext, rec: Recorder, client: pg.Client): Promise<PlanCase[]> {
  const principal = async (id: string) => (await resolvePrincipal(rec.db, tokenFor(id))) as TenantPrincipal;
  const ward = ctx.people.wards[0]!;
  const device = await principal(ward.id);
  const director = await principal(ctx.people.busiestManagerId);
  const governance = await principal(ctx.people.governanceId);
  const someItems = await client.query<{ id: string }>(
    `SELECT id FROM items WHERE ward_id = $1 ORDER BY raised_on DESC, id DESC LIMIT 50`,
    [ward.id],
  );
  const first = firstOf(rec);
  const deps = { db: rec.db, relay: { nudge() {} } };
  return [
    {
      name: 'inbox (busiest manager)',
      hotPath: 'GET /v1/inbox',
      // The inbox reads the caller's cover first; its SELECT is the statement over escalations.
      statement: (await rec.record(() => inbox(rec.db, director, { limit: 50 }))).statements.find((s) =>
        s.text.includes('"escalations"'),
      )!,
    },
    {
      name: 'items list by ward',
      hotPath: 'GET /v1/items?wardId=',
      statement: await first(() => listItems(rec.db, device, { wardId: ward.id, limit: 50 })),
    },
    {
      name: 'persistent issues (one ward)',
      hotPath: 'GET /v1/items?persistent=true, GET /v1/wards/:id/briefing-pack',
      statement: await first(() => persistentItems(deps, device, { wardId: ward.id, limit: 50 })),
    },
    {
      name: WHOLE_TRUST_PERSISTENT,
      hotPath: 'GET /v1/items?persistent=true by an organisation-wide reader',
      statement: await first(() => persistentItems(deps, governance, { limit: 50 })),
    },
    {
      name: 'thread summaries of a page of items',
      hotPath: 'every item answer (presentItems), including POST /v1/briefings',
      statement: await first(() =>
        threadSummaries(
          rec.db,
          someItems.rows.map((r) => r.id),
        ),
      ),
    },
  ];
}

/** The statements of recording a briefing, and the sealer's. */
async function writingCases(ctx: BenchContext, rec: Recorder): Promise<PlanCase[]> {
  const ward = ctx.people.wards[0]!;
  const first = firstOf(rec);
  return [
    {
      name: 'briefing lookup for duplicates',
      hotPath: 'POST /v1/briefings (409 path) - same statement as findBriefingFor in src/briefings/service.ts',
      statement: {
        text: 'select "id" from "briefings" where ("briefings"."ward_id" = $1 and "briefings"."date" = $2 and "briefings"."shift" = $3)',
        values: [ward.id, ctx.period.to, 'day'],
        connection: 0,
        sentAt: 0,
        doneAt: 0,
      },
    },
    {
      name: 'repeat detection (similarity)',
      hotPath: 'POST /v1/briefings, once for all its problems and risks',
      statement: await first(() =>
        detectRecurrences(
          rec.db,
          { wardId: ward.id, raisedOn: ctx.period.to, briefingId: randomUUID() },
          [
            { index: 0, category: 'equipment', description: 'Infusion pump alarm fault reported again in bay 1' },
            { index: 1, category: 'staffing', description: 'Night shift short of one registered nurse again' },
          ],
          0.5,
        ),
      ),
    },
    {
      name: 'audit events waiting to be sealed',
      hotPath: 'the audit sealer, every second in every process (sealPendingAudit in src/audit/sealer.ts)',
      statement: await first(() => sealPendingAudit(rec.db)),
    },
  ];
}

async function explain(ctx: BenchContext, client: pg.Client, c: PlanCase): Promise<PlanResult> {
  await client.query(c.statement.text, c.statement.values); // warm the cache as a live server would be
  const explained = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${c.statement.text}`,
    c.statement.values,
  );
  const plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n');
  const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN);
  const seqScans = [...plan.matchAll(/(?:Parallel )?Seq Scan on (items|escalations)\b[^\n]*/g)].map((m) => m[0].trim());
  ctx.log(`  plan ${c.name}: ${executionMs} ms${seqScans.length ? `  SEQ SCAN: ${seqScans.join('; ')}` : ''}`);
  return { name: c.name, hotPath: c.hotPath, sql: c.statement.text, executionMs, seqScans, plan };
}

export async function runPlans(ctx: BenchContext): Promise<PlanResult[]> {
  const rec = recordingDatabase(ctx.databaseUrl);
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    const cases = [...(await readingCases(ctx, rec, client)), ...(await writingCases(ctx, rec))];
    const results: PlanResult[] = [];
    for (const c of cases) results.push(await explain(ctx, client, c));
    return results;
  } finally {
    await client.end();
    await rec.close();
  }
}
