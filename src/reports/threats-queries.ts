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
  consequence: number;
  risk_score: number | null;
  latest_item_id: string;
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
             max(i.consequence)::int AS consequence,
             max(i.risk_score)::int AS risk_score,
             (array_agg(i.id ORDER BY i.raised_on DESC, i.created_at DESC, i.id DESC))[1] AS latest_item_id
      FROM items i
      WHERE i.organisation_id = ${scope.organisation.id}::uuid
        AND ${inScope(sql`i.ward_id`, scope.wardIds)}
        AND i.kind <> 'good_practice'
        AND i.consequence IS NOT NULL
        AND i.raised_on <= ${p.to}
      GROUP BY 1
      HAVING bool_or(i.resolved_at IS NULL OR i.resolved_at > ${p.asOf})`,
  );
}

export function latestItems(db: Executor, scope: ReportScope, itemIds: string[]) {
  return rows<{ id: string; ward_id: string; kind: string; category: string; description: string }>(
    db,
    sql`
      SELECT i.id, i.ward_id, i.kind, i.category, i.description
      FROM items i
      WHERE i.organisation_id = ${scope.organisation.id}::uuid
        AND i.id = ANY(string_to_array(${itemIds.join(',')}, ',')::uuid[])`,
  );
}
