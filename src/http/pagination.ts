import { and, eq, lt, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { AppError } from './errors.js';

export const MAX_PAGE_SIZE = 200;

export const pageQuery = {
  cursor: z.string().max(512).optional().describe("Opaque cursor from the previous page's nextCursor"),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
};

/** A keyset position: the sort value and the id of the last row of the previous page. */
export interface Cursor {
  after: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.after, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    // The sort value is a date or a timestamp this API wrote; anything else is not its cursor.
    const parsed = z.tuple([z.union([z.iso.date(), z.iso.datetime({ offset: true })]), z.uuid()]).parse(value);
    return { after: parsed[0], id: parsed[1] };
  } catch {
    throw new AppError('validation_failed', 'cursor is not valid', {
      errors: [{ path: 'querystring.cursor', message: 'is not a cursor returned by this API' }],
    });
  }
}

/** A list newest first by (date, id): the rows that come after the cursor's row. */
export function afterCursorNewestFirst(date: AnyColumn, id: AnyColumn, cursor: Cursor | null): SQL | undefined {
  return cursor ? or(lt(date, cursor.after), and(eq(date, cursor.after), lt(id, cursor.id))) : undefined;
}

/** Fetch limit + 1 rows, then call this to split off the page and compute the next cursor. */
export function paginate<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page,
    nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null,
  };
}

/**
 * A keyset position in a ranked list (a score, highest first; then a date, oldest first; then an
 * id), for lists ranked in memory such as the senior review queue.
 */
export interface RankCursor {
  score: number;
  date: string;
  id: string;
}

export function encodeRankCursor(cursor: RankCursor): string {
  return Buffer.from(JSON.stringify([cursor.score, cursor.date, cursor.id]), 'utf8').toString('base64url');
}

export function decodeRankCursor(raw: string | undefined): RankCursor | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    const [score, date, id] = z.tuple([z.number().int(), z.iso.date(), z.uuid()]).parse(value);
    return { score, date, id };
  } catch {
    throw new AppError('validation_failed', 'cursor is not valid', {
      errors: [{ path: 'querystring.cursor', message: 'is not a cursor returned by this API' }],
    });
  }
}

/** The ranked order: score highest first, then date oldest first, then id. */
export function byRank(a: RankCursor, b: RankCursor): number {
  return (
    b.score - a.score || (a.date < b.date ? -1 : a.date > b.date ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** A page of a list sorted byRank: the rows after the cursor's, at most `limit`, and the next cursor. */
export function paginateRanked<T>(sorted: T[], limit: number, rankOf: (row: T) => RankCursor, raw: string | undefined) {
  const cursor = decodeRankCursor(raw);
  const rest = cursor ? sorted.filter((row) => byRank(rankOf(row), cursor) > 0) : sorted;
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page, nextCursor: rest.length > limit && last ? encodeRankCursor(rankOf(last)) : null };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });
