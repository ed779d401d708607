/**
 * rowsInsert: the one-parameter INSERT the capture path writes its rows with. What a caller
 * relies on: values arrive as given (text, numbers, booleans, nulls, JSON, timestamps), columns
 * left out take their defaults, and rows that disagree on their properties are refused.
 */
import { asc, sql } from 'drizzle-orm';
import { bigserial, boolean, jsonb, pgTable, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTogether, rowsInsert } from '../../src/db/together.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

const probe = pgTable('rows_insert_probe', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  label: text('label').notNull(),
  score: smallint('score'),
  flagged: boolean('flagged'),
  details: jsonb('details').$type<Record<string, unknown>>(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  note: text('note').notNull().default('none'),
});

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.database.db.execute(sql`
    create table rows_insert_probe (
      id bigserial primary key, label text not null unique, score smallint, flagged boolean, details jsonb,
      at timestamptz not null default now(), note text not null default 'none')`);
});
afterAll(() => ctx?.close());

const stored = () => ctx.database.db.select().from(probe).orderBy(asc(probe.id));

describe('rowsInsert', () => {
  it('stores every value as given, and the defaults of the columns left out', async () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    const text = 'Quotes \' " and a backslash \\, an emoji 🩺, and {"json": "lookalike"}';
    await ctx.database.db.execute(
      rowsInsert(probe, [
        { label: 'first', score: 12, flagged: true, details: { nested: { list: [1, 'two', null] } }, at, note: text },
        { label: 'second', score: null, flagged: false, details: null, at, note: '' },
      ]),
    );
    await ctx.database.db.execute(rowsInsert(probe, [{ label: 'defaults' }]));

    const [first, second, defaults] = await stored();
    expect(first).toMatchObject({
      label: 'first',
      score: 12,
      flagged: true,
      details: { nested: { list: [1, 'two', null] } },
      note: text,
    });
    expect(first!.at.toISOString()).toBe(at.toISOString());
    expect(second).toMatchObject({ label: 'second', score: null, flagged: false, details: null, note: '' });
    expect(defaults).toMatchObject({ label: 'defaults', score: null, note: 'none' });
    expect(Math.abs(defaults!.at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('refuses rows that disagree on their properties, and an empty list', () => {
    expect(() => rowsInsert(probe, [{ label: 'a', score: 1 }, { label: 'b' }])).toThrow(/same properties/);
    expect(() =>
      rowsInsert(probe, [
        { label: 'a', score: 1 },
        { label: 'b', flagged: true },
      ]),
    ).toThrow(/same properties/);
    expect(() => rowsInsert(probe, [])).toThrow(/no rows/);
  });

  it('skips conflicting rows when asked, and otherwise fails the whole statement with the others', async () => {
    const before = await stored();
    await ctx.database.db.execute(
      rowsInsert(probe, [{ label: 'first' }, { label: 'third' }], { onConflictDoNothing: true }),
    );
    expect((await stored()).map((row) => row.label)).toEqual([...before.map((row) => row.label), 'third']);

    await expect(
      insertTogether(ctx.database.db, [
        rowsInsert(probe, [{ label: 'fourth' }]),
        rowsInsert(probe, [{ label: 'first' }]),
      ]),
    ).rejects.toMatchObject({ cause: { code: '23505' } });
    expect((await stored()).map((row) => row.label)).not.toContain('fourth');
  });
});
