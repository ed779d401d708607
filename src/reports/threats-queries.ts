/** SQL of the threat ranking: open threads with their recurrence in the window. Read-only. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { inScope, type ReportPeriod, type ReportScope } from './scope.js';
import { periodParams, rows } from './sql.js';

export interface ThreatThreadRow {
  thread_id: string;
  times_raised: number;
  raisings_in_window: number;
  first_raised_on: string;
  last_raised_on: string;
  /** Whole days from the first raising to the as-at date. */
  days_open: number;
  consequence: number;
  risk_score: number | null;
}

/** Threads of problems and risks raised up to `to` and still open at `asOf`, one grouped statement. */
export function openThreatThreads(db: Executor, scope: ReportScope, period: ReportPeriod) {
  const p = periodParams(period);
  return rows<ThreatThreadRow>(
    db,
    sql`
      SELECT coalesce(i.thread_id, i.id) AS thread_id,
             count(*)::int AS times_raised,
             count(*) FILTER (WHERE i.raised_on >= ${p.from})::int AS raisings_in_window,
             min(i.raised_on)::text AS first_raised_on,
             max(i.raised_on)::text AS last_raised_on,
             greatest(0, ${p.asOfDate} - min(i.raised_on))::int AS days_open,
             max(i.consequence)::int AS consequence,
             max(i.risk_score)::int AS risk_score
      FROM items i
      WHERE i.organisation_id = ${scope.organisation.id}::uuid
        AND ${inScope(sql`i.ward_id`, scope)}
        AND i.kind <> 'good_practice'
        AND i.consequence IS NOT NULL
        AND i.raised_on <= ${p.to}
      GROUP BY 1
      HAVING bool_or(i.resolved_at IS NULL OR i.resolved_at > ${p.asOf})`,
  );
}

/** The latest raising (up to `to`) of each of the given threads, in one statement. */
export function latestRaisings(db: Executor, scope: ReportScope, period: ReportPeriod, threadIds: string[]) {
  const p = periodParams(period);
  return rows<{ thread_id: string; id: string; ward_id: string; kind: string; category: string; description: string }>(
    db,
    sql`
      SELECT t.thread_id, latest.id, latest.ward_id, latest.kind, latest.category, latest.description
      FROM unnest(string_to_array(${threadIds.join(',')}, ',')::uuid[]) AS t(thread_id)
      JOIN LATERAL (
        SELECT i.id, i.ward_id, i.kind, i.category, i.description FROM items i
        WHERE i.organisation_id = ${scope.organisation.id}::uuid
          AND (i.id = t.thread_id OR i.thread_id = t.thread_id)
          AND i.raised_on <= ${p.to}
        ORDER BY i.raised_on DESC, i.created_at DESC, i.id DESC
        LIMIT 1
      ) latest ON true`,
  );
}
