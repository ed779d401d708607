/** The throw-away bench database: created, migrated with the service's own migrations, dropped. */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Database } from '../../src/db/client.js';
import * as schema from '../../src/db/schema.js';
import { createMigratedDatabase, dropDatabase, withDatabase } from '../../test/helpers/postgres-admin.js';

export const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  return withDatabase(ADMIN_URL, name);
}

export async function createBenchDatabase(name: string): Promise<string> {
  if (!/^wsb_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing database name ${name}`);
  return createMigratedDatabase(ADMIN_URL, name);
}

export async function dropBenchDatabase(name: string) {
  if (!name.startsWith('wsb_bench_')) return;
  await dropDatabase(ADMIN_URL, name);
}

export interface RecordedStatement {
  text: string;
  values: unknown[];
  /** Which of the pool's connections sent it. */
  connection: number;
  /** ms since the recording started, when the statement was sent and when its answer came. */
  sentAt: number;
  doneAt: number;
}

/**
 * A drizzle database over a pool whose connections note every statement they send (text,
 * parameters, timing; transactions included), so the bench can count, replay or EXPLAIN exactly
 * what a service function ran.
 */
export function recordingDatabase(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  let log: RecordedStatement[] = [];
  let origin = performance.now();
  let connections = 0;
  pool.on('connect', (client) => {
    const connection = ++connections;
    const send = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const config = args[0] as string | { text: string; values?: unknown[] };
      const entry: RecordedStatement = {
        text: typeof config === 'string' ? config : config.text,
        // pg takes the parameters in the config or as the second argument (drizzle does the latter).
        values: (Array.isArray(args[1]) ? args[1] : typeof config === 'string' ? undefined : config.values) ?? [],
        connection,
        sentAt: performance.now() - origin,
        doneAt: 0,
      };
      const done = () => {
        entry.doneAt = performance.now() - origin;
        log.push(entry);
      };
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        // pg's Pool.query passes a callback.
        args[args.length - 1] = (...result: unknown[]) => {
          done();
          (last as (...a: unknown[]) => void)(...result);
        };
        return send(...args);
      }
      return (send(...args) as Promise<unknown>).finally(done);
    };
  });
  const db = drizzle(pool, { schema }) as unknown as Database;
  return {
    db,
    pool,
    /** Runs `work` and returns the statements it sent, in the order they were sent. */
    async record<T>(work: () => Promise<T>): Promise<{ result: T; statements: RecordedStatement[] }> {
      log = [];
      origin = performance.now();
      const result = await work();
      const statements = [...log].sort((a, b) => a.sentAt - b.sentAt);
      return { result, statements };
    },
    close: () => pool.end(),
  };
}

/**
 * Replays recorded statements with the concurrency they were sent with: all on one connection
 * (e.g. one transaction) in order; otherwise wave by wave (see waves), each wave in parallel.
 * Returns the elapsed milliseconds.
 */
export async function replay(pool: pg.Pool, statements: RecordedStatement[]): Promise<number> {
  const started = performance.now();
  if (new Set(statements.map((s) => s.connection)).size <= 1) {
    const client = await pool.connect();
    try {
      for (const s of statements) await client.query(s.text, s.values);
    } finally {
      client.release();
    }
  } else {
    for (const wave of waves(statements)) await Promise.all(wave.map((s) => pool.query(s.text, s.values)));
  }
  return performance.now() - started;
}

/**
 * Groups recorded statements into waves: a statement sent after every earlier one had answered
 * starts a new wave (it probably needed their answers); the others ran alongside. Replaying wave
 * by wave, each wave in parallel, gives the SQL the same concurrency the service used.
 */
export function waves(statements: RecordedStatement[]): RecordedStatement[][] {
  const result: RecordedStatement[][] = [];
  let lastDone = -Infinity;
  for (const s of statements) {
    if (s.sentAt >= lastDone || result.length === 0) result.push([s]);
    else result[result.length - 1]!.push(s);
    lastDone = Math.max(lastDone, s.doneAt);
  }
  return result;
}
