/**
 * GET /v1/inbox for a manager, one request at a time, against the same SELECT run directly on
 * PostgreSQL (recorded from the service's own inbox function, replayed with its parameters).
 * HTTP and SQL alternate request by request so both see the same machine noise.
 */
import pg from 'pg';
import { resolvePrincipal } from '../../src/auth/plugin.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { inbox } from '../../src/escalations/queries.js';
import { recordingDatabase, type RecordedStatement } from '../lib/database.js';
import type { BenchContext } from '../lib/context.js';
import { tokenFor } from '../lib/generate.js';
import { get } from '../lib/http.js';
import { ratio, summarise, type LatencySummary } from '../lib/stats.js';

export interface InboxResult {
  who: string;
  unresolvedAssigned: number;
  requests: number;
  http: LatencySummary;
  /** The inbox SELECT alone, as the service sends it. */
  sql: LatencySummary;
  /** Every statement the request runs: token lookup (with the ward list), inbox SELECT. */
  sqlAllStatements: LatencySummary;
  statementsPerRequest: number;
  ratioP95: number;
  ratioP95AllStatements: number;
  responseBytes: number;
}

async function replay(client: pg.Client, statements: RecordedStatement[]) {
  const started = performance.now();
  for (const s of statements) await client.query(s.text, s.values);
  return performance.now() - started;
}

export async function runInbox(ctx: BenchContext): Promise<InboxResult[]> {
  const rec = recordingDatabase(ctx.databaseUrl);
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  const requests = ctx.quick ? 300 : 600;
  try {
    const results: InboxResult[] = [];
    for (const [who, staffId, open] of [
      ['busiest manager (director of nursing)', ctx.people.busiestManagerId, ctx.people.busiestManagerOpen],
      ['matron (five wards)', ctx.people.matronId, ctx.people.matronOpen],
    ] as const) {
      const token = tokenFor(staffId);
      const all = await rec.record(async () => {
        const principal = (await resolvePrincipal(rec.db, token)) as TenantPrincipal;
        return inbox(rec.db, principal, { limit: 50 });
      });
      const inboxStatement = all.statements.find((s) => s.text.includes('"escalations"'))!;
      // Warm both paths.
      let bytes = 0;
      for (let i = 0; i < 50; i++) {
        const answer = await get(ctx.apiPort, '/v1/inbox', token);
        if (answer.status !== 200) throw new Error(`inbox answered ${answer.status}`);
        bytes = answer.bytes;
        await replay(client, all.statements);
      }
      const http: number[] = [];
      const sql: number[] = [];
      const sqlAll: number[] = [];
      // One of each in turn, so all three see the same moment of a noisy machine.
      for (let i = 0; i < requests; i++) {
        const answer = await get(ctx.apiPort, '/v1/inbox', token);
        if (answer.status !== 200) throw new Error(`inbox answered ${answer.status}`);
        http.push(answer.ms);
        sql.push(await replay(client, [inboxStatement]));
        sqlAll.push(await replay(client, all.statements));
      }
      const h = summarise(http);
      const s = summarise(sql);
      const a = summarise(sqlAll);
      results.push({
        who,
        unresolvedAssigned: open,
        requests: http.length,
        http: h,
        sql: s,
        sqlAllStatements: a,
        statementsPerRequest: all.statements.length,
        ratioP95: ratio(h.p95, s.p95),
        ratioP95AllStatements: ratio(h.p95, a.p95),
        responseBytes: bytes,
      });
      ctx.log(
        `  inbox ${who}: http p95 ${h.p95} ms, sql p95 ${s.p95} ms (x${ratio(h.p95, s.p95)}), all statements p95 ${a.p95} ms`,
      );
    }
    return results;
  } finally {
    await client.end();
    await rec.close();
  }
}
