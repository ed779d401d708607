import { and, desc, eq, gte, inArray, lte, ne, sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { items } from '../db/schema.js';
import type { ItemCategory } from '../domain/taxonomy.js';
import { AppError } from '../http/errors.js';

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
    links.set(n.index, { recurrenceOf: target.id, source: 'named', threadId: target.threadId ?? target.id, similarity: null });
  }
  return links;
}

/**
 * The open item of the same ward and category, raised in the last 30 days, whose description
 * is most similar (PostgreSQL trigram similarity) at or above the threshold.
 */
export async function detectRecurrence(
  tx: Executor,
  candidate: { wardId: string; category: ItemCategory; description: string; raisedOn: string; briefingId: string },
  threshold: number,
): Promise<RecurrenceLink | null> {
  const score = sql<number>`similarity(${items.description}, ${candidate.description})`;
  const [match] = await tx
    .select({ id: items.id, threadId: items.threadId, score })
    .from(items)
    .where(
      and(
        eq(items.wardId, candidate.wardId),
        eq(items.category, candidate.category),
        eq(items.status, 'open'),
        ne(items.kind, 'good_practice'),
        ne(items.briefingId, candidate.briefingId),
        lte(items.raisedOn, candidate.raisedOn),
        gte(items.raisedOn, shiftDate(candidate.raisedOn, -REPEAT_WINDOW_DAYS)),
        sql`${score} >= ${threshold}`,
      ),
    )
    .orderBy(desc(score), desc(items.raisedOn))
    .limit(1);
  if (!match) return null;
  return { recurrenceOf: match.id, source: 'detected', threadId: match.threadId ?? match.id, similarity: Number(match.score) };
}

function shiftDate(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
