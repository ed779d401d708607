import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { storedBriefings, storedForWard, storedIdempotencyKeys } from '../helpers/stored-rows.js';
import { expectProblem, newKey, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

const POISON = { trigger: 'Marked to fail in a trigger', 'check constraint': 'Marked to fail a check constraint' };

/** Ways to make the database refuse an item row after the briefing row was written. */
const failures = {
  trigger: {
    install: async () => {
      await ctx.database.db.execute(
        sql.raw(`
        create function test_reject_marked_item() returns trigger language plpgsql as $$
        begin
          if new.description = '${POISON.trigger}' then raise exception 'test trigger rejected an item'; end if;
          return new;
        end $$`),
      );
      await ctx.database.db.execute(
        sql.raw(
          `create trigger test_reject_marked_item before insert on items for each row execute function test_reject_marked_item()`,
        ),
      );
    },
    remove: async () => {
      await ctx.database.db.execute(sql.raw(`drop trigger test_reject_marked_item on items`));
      await ctx.database.db.execute(sql.raw(`drop function test_reject_marked_item()`));
    },
  },
  'check constraint': {
    install: () =>
      ctx.database.db.execute(
        sql.raw(
          `alter table items add constraint test_reject_marked_item check (description <> '${POISON['check constraint']}')`,
        ),
      ),
    remove: () => ctx.database.db.execute(sql.raw(`alter table items drop constraint test_reject_marked_item`)),
  },
};

describe.each(Object.keys(failures) as (keyof typeof failures)[])('an item the database refuses (%s)', (how) => {
  const date = how === 'trigger' ? '2026-05-01' : '2026-05-02';
  const ward = () => org.wards[0]!;
  const body = () => ({
    wardId: ward().id,
    date,
    items: [
      {
        kind: 'problem',
        category: 'equipment',
        description: 'Suction unit at bed 6 not holding pressure',
        consequence: 4,
        likelihood: 3,
      },
      { kind: 'risk', category: 'staffing', description: POISON[how], consequence: 2, likelihood: 2 },
      { kind: 'good_practice', category: 'communication', description: 'New starters buddied all week' },
    ],
  });

  it('leaves no briefing and no items behind, answers 500 without internals, and can be retried', async () => {
    const key = newKey();
    const before = await storedForWard(ctx, ward().id);
    const logsBefore = ctx.logLines.length;

    await failures[how].install();
    let failed;
    try {
      failed = await post(ctx.app, '/v1/briefings', ward().deviceToken, body(), { 'idempotency-key': key });
    } finally {
      await failures[how].remove();
    }

    const problem = expectProblem(failed, 500);
    expect(problem.detail).not.toMatch(/trigger|constraint|items/i);
    expect(failed.raw).not.toContain(POISON[how]);
    expect(failed.raw).not.toContain('Suction unit');

    // Nothing of the briefing was kept: not the briefing row written first, not the first item.
    expect(await storedBriefings(ctx, ward().id, date)).toEqual([]);
    expect(await storedForWard(ctx, ward().id)).toEqual(before);
    // No answer is remembered against the key, only the request it is bound to.
    expect((await storedIdempotencyKeys(ctx, key)).map((row) => [row.state, row.responseStatus])).toEqual([
      ['failed', null],
    ]);

    // The failure was logged, with the request id, but without the ward's free text.
    const logs = ctx.logLines.slice(logsBefore);
    const errorLine = logs
      .map((line) => JSON.parse(line) as { level: number; reqId?: string })
      .find((l) => l.level >= 50);
    expect(errorLine, logs.join('')).toBeDefined();
    expect(errorLine!.reqId).toBe(problem.requestId);
    // ... saying enough to find the cause: the SQLSTATE of the database's refusal.
    expect(JSON.stringify(errorLine)).toContain(how === 'trigger' ? 'P0001' : '23514');
    for (const item of body().items) {
      expect(logs.join(''), 'free text in the logs').not.toContain(item.description);
    }

    // With the database accepting the item again, the same request (and key) goes through.
    const retried = await post(ctx.app, '/v1/briefings', ward().deviceToken, body(), { 'idempotency-key': key });
    expect(retried.status, retried.raw).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body.items.map((i: { description: string }) => i.description)).toEqual(
      body().items.map((i) => i.description),
    );
    expect((await storedBriefings(ctx, ward().id, date)).map((b) => b.id)).toEqual([retried.body.id]);
    expect(await storedForWard(ctx, ward().id)).toEqual({ briefings: before.briefings + 1, items: before.items + 3 });
  });
});
