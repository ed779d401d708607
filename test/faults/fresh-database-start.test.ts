/**
 * Every process of a deployment starts at once on a fresh database: 2 API and 2 worker
 * processes (the compiled service, laid out as the container image holds it) started together
 * on a new, empty database, 10 rounds. Each of them migrates at start; one must migrate while
 * the others wait, and then all four must become ready: the APIs answer /ready 200, the workers
 * answer their health port's /ready 200 and BullMQ sees both consuming.
 * And a migration PostgreSQL refuses stops the process with what PostgreSQL said in its log.
 */
import { randomBytes } from 'node:crypto';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withDatabase } from '../helpers/postgres-admin.js';
import { PLATFORM_TOKEN } from '../helpers/context.js';
import { sleep } from '../helpers/escalation.js';
import { buildImageLayout, type ImageLayout } from '../helpers/image-layout.js';
import { cloneTestDatabase } from '../helpers/database-clone.js';
import { freePort, killAllChildren, REPO_ROOT, withTimeout, type ChildHandle } from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { createQueues } from '../../src/queue/queues.js';
import { send } from './service-harness.js';

const ROUNDS = 10;
const ROLES = ['api', 'api', 'worker', 'worker'] as const;
const READY_WITHIN_MS = 120_000; // a busy 2-core machine booting 4 processes at once

let layout: ImageLayout;
let redis: PrivateRedis;
const databases: string[] = [];

beforeAll(async () => {
  [layout, redis] = await Promise.all([buildImageLayout(), startPrivateRedis()]);
});

afterAll(async () => {
  await killAllChildren('service');
  await redis?.stop();
  await layout?.remove();
  const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await admin.connect();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

/** A new database with nothing in it (template0: not even what someone added to template1). */
async function emptyDatabase(): Promise<string> {
  const name = `${inject('templateDatabase').replace(/_template$/, '')}_fresh_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0`);
  await admin.end();
  databases.push(name);
  return withDatabase(inject('databaseAdminUrl'), name);
}

interface Outcome {
  round: number;
  role: string;
  ready: boolean;
  /** How the process failed: its exit and the end of its output. */
  failure?: string;
}

/** Polls GET /ready on the process's port until 200; a process that exits meanwhile failed. */
async function readiness(round: number, role: string, child: ChildHandle, port: number): Promise<Outcome> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (!child.isRunning()) {
      const exit = await child.exited;
      const output = `${child.stdout()}\n${child.stderr()}`.trim().split('\n').slice(-6).join('\n');
      return { round, role, ready: false, failure: `exited (code ${exit.code}, signal ${exit.signal}):\n${output}` };
    }
    const res = await send(`http://127.0.0.1:${port}`, {
      method: 'GET',
      path: '/ready',
      timeoutMs: 2_000,
      fresh: true,
    });
    if (res.status === 200) return { round, role, ready: true };
    if (Date.now() > deadline)
      return {
        round,
        role,
        ready: false,
        failure: `not ready after ${READY_WITHIN_MS} ms (last: ${res.status || res.error})`,
      };
    await sleep(100);
  }
}

describe('all processes started at once on a fresh database', () => {
  it(
    `2 API and 2 worker processes become ready, ${ROUNDS} rounds, each on a new empty database`,
    { timeout: ROUNDS * 150_000 },
    async () => {
      const outcomes: Outcome[] = [];
      const consuming: number[] = [];
      const started = performance.now();
      for (let round = 1; round <= ROUNDS; round++) {
        const databaseUrl = await emptyDatabase();
        const queuePrefix = `fresh${round}${randomBytes(3).toString('hex')}`;
        const ports = await Promise.all(ROLES.map(() => freePort()));
        // All four in the same tick, as an orchestrator starts a deployment's containers.
        const children = ROLES.map((role, i) =>
          layout.start({
            ROLE: role,
            DATABASE_URL: databaseUrl,
            REDIS_URL: redis.url,
            QUEUE_PREFIX: queuePrefix,
            PORT: String(ports[i]),
            HOST: '127.0.0.1',
            LOG_LEVEL: 'warn',
            BOOTSTRAP_ADMIN_TOKEN: PLATFORM_TOKEN,
          }),
        );
        const round_ = await Promise.all(children.map((child, i) => readiness(round, ROLES[i]!, child, ports[i]!)));
        outcomes.push(...round_);
        const queues = createQueues(redis.url, queuePrefix);
        consuming.push(await queues.get('escalation-steps').getWorkersCount());
        await queues.close();
        await Promise.all(children.map((child) => child.kill('SIGTERM', 30_000).catch(() => child.kill('SIGKILL'))));
      }
      const ready = outcomes.filter((outcome) => outcome.ready).length;
      const failed = outcomes.filter((outcome) => !outcome.ready);
      console.log(
        `[fresh-start] ${ROUNDS} rounds x (2 api + 2 worker) on a new empty database: ${ready}/${outcomes.length} ready, ` +
          `${failed.length} failed (rounds ${[...new Set(failed.map((f) => f.round))].join(', ') || 'none'}); ` +
          `workers consuming per round: ${consuming.join(' ')}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const failure of failed)
        console.log(`[fresh-start] round ${failure.round} ${failure.role}: ${failure.failure}`);
      expect(failed.map((f) => `round ${f.round} ${f.role}: ${f.failure}`)).toEqual([]);
      expect(ready).toBe(ROUNDS * ROLES.length);
      expect(consuming).toEqual(Array(ROUNDS).fill(2));
    },
  );
});

/** Runs `sql` on that database and returns the rows. */
async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The pino line (JSON) of the process's output whose message starts with `prefix`. */
function logLine(child: ChildHandle, prefix: string): Record<string, unknown> | undefined {
  for (const line of `${child.stdout()}\n${child.stderr()}`.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed.msg === 'string' && parsed.msg.startsWith(prefix)) return parsed;
  }
  return undefined;
}

function apiEnv(databaseUrl: string, port: number): Record<string, string> {
  return {
    ROLE: 'api',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `mig${randomBytes(3).toString('hex')}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_TOKEN: PLATFORM_TOKEN,
  };
}

describe('a migration PostgreSQL refuses', () => {
  it(
    'stops the process with exit code 1, logging the message, SQLSTATE, migration and statement; nothing is kept, and a fixed database starts',
    { timeout: 180_000 },
    async () => {
      // A fresh database where someone already made a table the first migration creates.
      const databaseUrl = await emptyDatabase();
      await query(databaseUrl, 'create table briefings (id integer)');
      const port = await freePort();
      const child = layout.start(apiEnv(databaseUrl, port));
      const exit = await withTimeout(child.exited, 120_000, 'the service to stop on the failed migration');
      expect(exit.code).toBe(1);

      const fatal = logLine(child, 'migration 0000_init failed');
      expect(fatal, child.stdout() + child.stderr()).toBeDefined();
      expect(fatal!.level).toBe(60); // fatal
      expect(fatal!.postgres).toMatchObject({ message: 'relation "briefings" already exists', code: '42P07' });
      expect(fatal!.migration).toBe('0000_init');
      expect(String(fatal!.statement)).toMatch(/^\s*CREATE TABLE "briefings"/);
      // The last words on stderr say the same, for a reader without a log viewer.
      expect(child.stderr()).toContain(
        'failed to start: migration 0000_init failed: relation "briefings" already exists (SQLSTATE 42P07)',
      );
      expect(child.stderr()).toMatch(/statement: CREATE TABLE "briefings" \(/);
      console.log(
        `[migration-failure] conflicting table: exit ${exit.code}; log: ${JSON.stringify(fatal!.postgres)} in ${String(fatal!.migration)}`,
      );

      // The failed migration's transaction kept nothing (nor held the lock): once the conflicting
      // table is gone, the same deployment starts.
      expect(await query(databaseUrl, `select to_regclass('public.api_tokens') as t`)).toEqual([{ t: null }]);
      expect(await query(databaseUrl, 'select count(*)::int as n from drizzle.__drizzle_migrations')).toEqual([
        { n: 0 },
      ]);
      await query(databaseUrl, 'drop table briefings');
      const fixed = layout.start(apiEnv(databaseUrl, port));
      expect(await readiness(0, 'api', fixed, port)).toMatchObject({ ready: true });
      await fixed.kill('SIGTERM', 30_000);
    },
  );

  it(
    'in a broken migration folder: the detail PostgreSQL gives is logged too, and the database stays at the previous migration',
    { timeout: 180_000 },
    async () => {
      // The shipped migrations plus one that cannot apply to the rows it meets.
      const folder = path.join(tmpdir(), `wsb-broken-migrations-${randomBytes(4).toString('hex')}`);
      await cp(path.join(REPO_ROOT, 'migrations'), folder, { recursive: true });
      const journalPath = path.join(folder, 'meta/_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
        entries: { idx: number; when: number; tag: string }[];
      };
      const last = journal.entries.at(-1)!;
      const tag = `${String(last.idx + 1).padStart(4, '0')}_duplicate_codes`;
      journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1_000, tag });
      await writeFile(journalPath, JSON.stringify(journal, null, 2));
      await writeFile(
        path.join(folder, `${tag}.sql`),
        [
          'CREATE TABLE "ward_codes" ("code" text NOT NULL);',
          `INSERT INTO "ward_codes" VALUES ('7A'), ('7A');`,
          'CREATE UNIQUE INDEX "ward_codes_code" ON "ward_codes" ("code");',
        ].join('--> statement-breakpoint\n'),
      );
      const broken = await layout.withMigrations(folder);

      // A database of the current release (every shipped migration applied), being upgraded.
      const database = await cloneTestDatabase();
      try {
        const port = await freePort();
        const child = broken.start(apiEnv(database.url, port));
        const exit = await withTimeout(child.exited, 120_000, 'the service to stop on the failed migration');
        expect(exit.code).toBe(1);
        const fatal = logLine(child, `migration ${tag} failed`);
        expect(fatal, child.stdout() + child.stderr()).toBeDefined();
        expect(fatal!.postgres).toMatchObject({
          message: 'could not create unique index "ward_codes_code"',
          code: '23505',
          detail: 'Key (code)=(7A) is duplicated.',
          table: 'ward_codes',
          constraint: 'ward_codes_code',
        });
        expect(fatal!.migration).toBe(tag);
        expect(fatal!.statement).toBe('\nCREATE UNIQUE INDEX "ward_codes_code" ON "ward_codes" ("code");');
        expect(child.stderr()).toContain(
          `migration ${tag} failed: could not create unique index "ward_codes_code" (SQLSTATE 23505); detail: Key (code)=(7A) is duplicated.`,
        );
        console.log(
          `[migration-failure] broken folder: exit ${exit.code}; log: ${JSON.stringify(fatal!.postgres)} in ${String(fatal!.migration)}`,
        );

        // Still at the shipped migrations: the broken one left no table and no record.
        const shipped = journal.entries.length - 1;
        expect(await query(database.url, 'select count(*)::int as n from drizzle.__drizzle_migrations')).toEqual([
          { n: shipped },
        ]);
        expect(await query(database.url, `select to_regclass('public.ward_codes') as t`)).toEqual([{ t: null }]);
      } finally {
        await database.drop();
        await rm(folder, { recursive: true, force: true });
      }
    },
  );
});
