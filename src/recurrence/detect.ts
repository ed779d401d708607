import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { items } from '../db/schema.js';
import { namedRows } from '../db/prepared.js';
import { statementAlias, tableAs } from '../db/sql.js';
import type { ItemCategory } from '../domain/taxonomy.js';
import { AppError } from '../http/errors.js';
import { liveItem } from '../items/conditions.js';

/** Items as the statements below name them (`items i`). */
const i = statementAlias(items, 'i');

/** How far back an open item can be matched as the one a new item repeats. */
export const REPEAT_WINDOW_DAYS = 30;

export interface RecurrenceLink {
  recurrenceOf: string;
  source: 'named' | 'detected';
  threadId: string;
  similarity: number | null;
}

/** Items named by `recurrenceOf` must be earlier items of the same ward. */
export async function namedRecurrences(tx: Executor, wardId: string, named: { index: number; id: string }[]) {
  const links = new Map<number, RecurrenceLink>();
  if (named.length === 0) return links;
  const rows = await tx
    .select({ id: items.id, threadId: items.threadId })
    .from(items)
    .where(
      and(
        eq(items.wardId, wardId),
        liveItem(),
        inArray(
          items.id,
          named.map((n) => n.id),
        ),
      ),
    );
  const found = new Map(rows.map((r) => [r.id, r]));
  const errors = named
    .filter((n) => !found.has(n.id))
    .map((n) => ({ path: `body.items.${n.index}.recurrenceOf`, message: 'is not an item of this ward' }));
  if (errors.length > 0) throw new AppError('validation_failed', 'recurrenceOf names an unknown item', { errors });
  for (const n of named) {
    const target = found.get(n.id)!;
    links.set(n.index, {
      recurrenceOf: target.id,
      source: 'named',
      threadId: target.threadId ?? target.id,
      similarity: null,
    });
  }
  return links;
}

/**
 * For each candidate (by its index): the open item of the same ward and category, raised in
 * the last 30 days and not in this briefing, whose description is most similar (PostgreSQL
 * trigram similarity) at or above the threshold. One statement for all of a briefing's items.
 */
export async function detectRecurrences(
  tx: Executor,
  briefing: { wardId: string; raisedOn: string; briefingId: string },
  candidates: { index: number; category: ItemCategory; description: string }[],
  threshold: number,
): Promise<Map<number, RecurrenceLink>> {
  const links = new Map<number, RecurrenceLink>();
  if (candidates.length === 0) return links;
  const wanted = JSON.stringify(
    candidates.map((c) => ({ idx: c.index, category: c.category, description: c.description })),
  );
  const matches = await namedRows<{ idx: number; id: string; thread_id: string | null; score: number }>(
    tx,
    sql`
    SELECT c.idx, m.id, m.thread_id, m.score
    FROM jsonb_to_recordset(${wanted}::jsonb) AS c(idx int, category text, description text)
    CROSS JOIN LATERAL (
      SELECT i.id, i.thread_id, similarity(i.description, c.description) AS score
      FROM ${tableAs(i)}
      WHERE ${i.wardId} = ${briefing.wardId}::uuid AND i.category = c.category AND i.status = 'open' AND ${liveItem(i)}
        AND i.kind <> 'good_practice' AND i.briefing_id <> ${briefing.briefingId}::uuid
        AND i.raised_on <= ${briefing.raisedOn}::date
        AND i.raised_on >= ${shiftDate(briefing.raisedOn, -REPEAT_WINDOW_DAYS)}::date
        AND similarity(i.description, c.description) >= ${threshold}
      ORDER BY score DESC, i.raised_on DESC
      LIMIT 1
    ) m`,
  );
  for (const row of matches) {
    links.set(row.idx, {
      recurrenceOf: row.id,
      source: 'detected',
      threadId: row.thread_id ?? row.id,
      similarity: Number(row.score),
    });
  }
  return links;
}

function shiftDate(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
