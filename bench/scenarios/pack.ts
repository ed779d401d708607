/**
 * The governance board pack for one year of the first trust, in every format, through HTTP,
 * against the raw SQL it needs: the statements the service's own governancePack sends (recorded
 * once in-process, transaction statements included), replayed with the same concurrency (see replay()).
 */
import pg from 'pg';
import { resolvePrincipal } from '../../src/auth/plugin.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { recordingDatabase, replay, waves } from '../lib/database.js';
import type { BenchContext } from '../lib/context.js';
import { tokenFor } from '../lib/generate.js';
import { get } from '../lib/http.js';
import { median, ratio, summarise, type LatencySummary } from '../lib/stats.js';

export const PACK_FORMATS = ['json', 'csv', 'html'] as const;

export type PackResult =
  | { measured: false; reason: string }
  | {
      measured: true;
      from: string;
      to: string;
      repeats: number;
      formats: Record<(typeof PACK_FORMATS)[number], LatencySummary & { bytes: number }>;
      rawSql: LatencySummary & { statements: number; replayedAs: string };
      /** Median of the slowest format over the median of the raw SQL. */
      ratioMedian: number;
      worstMs: number;
    };

export async function runPack(ctx: BenchContext): Promise<PackResult> {
  const token = tokenFor(ctx.people.governanceId);
  const query = `from=${ctx.period.from}&to=${ctx.period.to}`;
  const probe = await get(ctx.apiPort, `/v1/reports/governance?${query}&format=json`, token, true);
  if (probe.status === 404 && /Route .* not found/i.test(probe.body)) {
    return { measured: false, reason: 'not measured: route not present (GET /v1/reports/governance answered 404)' };
  }
  if (probe.status !== 200) throw new Error(`board pack answered ${probe.status}: ${probe.body.slice(0, 500)}`);
  let governancePack: typeof import('../../src/reports/governance.js').governancePack;
  try {
    ({ governancePack } = await import('../../src/reports/governance.js'));
  } catch (error) {
    return {
      measured: false,
      reason: `not measured: src/reports/governance.ts could not be loaded (${String(error)})`,
    };
  }

  const rec = recordingDatabase(ctx.databaseUrl);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 10 });
  try {
    const principal = (await resolvePrincipal(rec.db, token)) as TenantPrincipal;
    const { statements } = await rec.record(() =>
      governancePack({ db: rec.db }, principal, { from: ctx.period.from, to: ctx.period.to }),
    );
    const oneConnection = new Set(statements.map((s) => s.connection)).size === 1;
    const repeats = ctx.quick ? 2 : 5;
    const times: Record<string, number[]> = { json: [], csv: [], html: [], raw: [] };
    const bytes: Record<string, number> = {};
    await replay(pool, statements); // warm
    for (let r = 0; r < repeats; r++) {
      for (const format of PACK_FORMATS) {
        const answer = await get(ctx.apiPort, `/v1/reports/governance?${query}&format=${format}`, token);
        if (answer.status !== 200) throw new Error(`board pack (${format}) answered ${answer.status}`);
        times[format]!.push(answer.ms);
        bytes[format] = answer.bytes;
      }
      times.raw!.push(await replay(pool, statements));
    }
    const formats = Object.fromEntries(
      PACK_FORMATS.map((f) => [f, { ...summarise(times[f]!), bytes: bytes[f]! }]),
    ) as Record<(typeof PACK_FORMATS)[number], LatencySummary & { bytes: number }>;
    const raw = summarise(times.raw!);
    const slowestMedian = Math.max(...PACK_FORMATS.map((f) => median(times[f]!)));
    const result: PackResult = {
      measured: true,
      from: ctx.period.from,
      to: ctx.period.to,
      repeats,
      formats,
      rawSql: {
        ...raw,
        statements: statements.length,
        replayedAs: oneConnection ? 'one connection, in order' : `${waves(statements).length} waves`,
      },
      ratioMedian: ratio(slowestMedian, raw.p50),
      worstMs: Math.max(...PACK_FORMATS.map((f) => formats[f].max)),
    };
    ctx.log(
      `  pack: ${PACK_FORMATS.map((f) => `${f} p50 ${formats[f].p50} ms`).join(', ')}; raw SQL p50 ${raw.p50} ms ` +
        `(${statements.length} statements, ${result.rawSql.replayedAs}); x${result.ratioMedian}`,
    );
    return result;
  } finally {
    await pool.end();
    await rec.close();
  }
}
