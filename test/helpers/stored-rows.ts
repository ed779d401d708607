/** Rows as stored, read straight from the test's database (not through the API), to check what a request wrote. */
import { count, eq } from 'drizzle-orm';
import { briefings, idempotencyKeys, items } from '../../src/db/schema.js';
import type { TestContext } from './context.js';

/** How many briefings and items are stored for a ward. */
export async function storedForWard(ctx: TestContext, wardId: string) {
  const db = ctx.database.db;
  const [b] = await db.select({ n: count() }).from(briefings).where(eq(briefings.wardId, wardId));
  const [i] = await db.select({ n: count() }).from(items).where(eq(items.wardId, wardId));
  return { briefings: b?.n ?? 0, items: i?.n ?? 0 };
}

export async function storedBriefings(ctx: TestContext, wardId: string, date: string) {
  const rows = await ctx.database.db.select().from(briefings).where(eq(briefings.wardId, wardId));
  return rows.filter((row) => row.date === date);
}

export async function storedIdempotencyKeys(ctx: TestContext, key: string) {
  return ctx.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
}
