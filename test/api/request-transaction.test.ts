/**
 * The transaction a keyed POST runs in (src/db/request-transaction.ts): the services' handle
 * writes into it, nested transactions are savepoints, prepared statements run on its
 * connection, and the outbox relay is asked to move what it wrote only once it has committed.
 */
import { eq, sql } from 'drizzle-orm';
import { rows } from '../../src/db/sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../src/db/schema.js';
import { preparedPer } from '../../src/db/prepared.js';
import {
  beginRequestTransaction,
  inRequestTransaction,
  relayAfterCommit,
  transactionAware,
} from '../../src/db/request-transaction.js';
import { DEFAULT_BAND_THRESHOLDS } from '../../src/domain/risk.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx?.close());

let n = 0;
const newOrganisation = () => {
  const code = `RT${Date.now().toString(36)}${n++}`.slice(0, 12);
  return { name: `Trust ${code}`, code, bandThresholds: { ...DEFAULT_BAND_THRESHOLDS } };
};
const storedCodes = async (code: string) =>
  (
    await ctx.database.db.select({ code: organisations.code }).from(organisations).where(eq(organisations.code, code))
  ).map((r) => r.code);

const backendPid = preparedPer((db) =>
  db
    .select({ pid: sql<number>`pg_backend_pid()` })
    .from(sql`(values (1)) as one (x)`)
    .prepare('test_backend_pid'),
);

describe('a request transaction', () => {
  it('holds what the services write until it commits, and the relay is nudged after the commit', async () => {
    const root = ctx.database.db;
    const services = transactionAware(root);
    const seen: string[][] = [];
    const org = newOrganisation();
    const relay = relayAfterCommit({
      nudge: () => {
        // What the relay would find, read the moment it is nudged (another connection).
        void storedCodes(org.code).then((codes) => seen.push(codes));
      },
    });
    const transaction = await beginRequestTransaction(root);
    const done = transaction.run(async () => {
      expect(inRequestTransaction()).toBe(true);
      await services.insert(organisations).values(org);
      relay.nudge();
      // A nested transaction is a savepoint: its rollback keeps the outer write.
      await expect(
        services.transaction(async (tx) => {
          await tx.insert(organisations).values(newOrganisation());
          throw new Error('undo the nested part');
        }),
      ).rejects.toThrow('undo the nested part');
      expect(await storedCodes(org.code)).toEqual([]);
    });
    await done.catch(async (error: unknown) => {
      await transaction.rollback();
      throw error;
    });
    expect(seen).toEqual([]);
    await transaction.commit();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([[org.code]]);
    expect(await storedCodes(org.code)).toEqual([org.code]);
    // After the commit the handle is the database again.
    await transaction.run(async () => {
      expect(inRequestTransaction()).toBe(false);
      expect((await services.select().from(organisations).where(eq(organisations.code, org.code))).length).toBe(1);
    });
  });

  it('undoes everything on rollback, and nudges nothing', async () => {
    const services = transactionAware(ctx.database.db);
    let nudged = 0;
    const relay = relayAfterCommit({ nudge: () => nudged++ });
    const org = newOrganisation();
    const transaction = await beginRequestTransaction(ctx.database.db);
    try {
      await transaction.run(async () => {
        await services.insert(organisations).values(org);
        relay.nudge();
      });
    } finally {
      await transaction.rollback();
    }
    expect(await storedCodes(org.code)).toEqual([]);
    expect(nudged).toBe(0);
    relay.nudge(); // outside any request transaction: at once
    expect(nudged).toBe(1);
  });

  it('runs prepared statements on its own connection', async () => {
    const services = transactionAware(ctx.database.db);
    const transaction = await beginRequestTransaction(ctx.database.db);
    try {
      const own = await rows<{ pid: number }>(transaction.tx, sql`select pg_backend_pid() as pid`);
      const [inside] = await transaction.run(() => backendPid(services).execute());
      const [outside] = await backendPid(services).execute();
      expect(inside!.pid).toBe(own[0]!.pid);
      expect(outside!.pid).not.toBe(own[0]!.pid);
    } finally {
      await transaction.rollback();
    }
  });
});
