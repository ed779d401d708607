import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { inject } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { ensurePlatformAdmin } from '../../src/tokens/service.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, openReportsDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { startOutboxRelay, type OutboxRelay } from '../../src/queue/outbox.js';
import { createQueues, QUEUE_NAMES, type QueueSet } from '../../src/queue/queues.js';
import { startWorkers } from '../../src/jobs.js';
import { contractViolation } from './contract.js';
import { cloneTestDatabase } from './database-clone.js';

export const PLATFORM_TOKEN = 'test-platform-admin-token-0123456789';

export interface TestContext {
  app: App;
  database: DatabaseHandle;
  config: Config;
  queues: QueueSet;
  relay: OutboxRelay;
  /** Every log line the app wrote, for tests that check what must never be logged. */
  logLines: string[];
  startWorkers(): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

/**
 * A database clone of its own, a queue prefix of its own (so test files sharing one Redis
 * never see each other's jobs), the outbox relay, and the app. Workers start on request.
 */
export interface TestContextOptions {
  /** Use the embedded database (PGlite) kept in this directory instead of a PostgreSQL clone. */
  embeddedDataDir?: string;
  /** REPORTS_DATABASE_URL for the clone's URL: the same database on a read replica. */
  reportsDatabaseUrl?: (databaseUrl: string) => string;
}

export async function createTestContext(
  overrides: Record<string, string> = {},
  options: TestContextOptions = {},
): Promise<TestContext> {
  const clone = options.embeddedDataDir ? null : await cloneTestDatabase();
  const config = loadConfig({
    ...(clone ? { DATABASE_URL: clone.url } : { DATA_DIR: options.embeddedDataDir }),
    ...(clone && options.reportsDatabaseUrl ? { REPORTS_DATABASE_URL: options.reportsDatabaseUrl(clone.url) } : {}),
    REDIS_URL: inject('redisUrl'),
    LOG_LEVEL: 'info',
    BOOTSTRAP_ADMIN_TOKEN: PLATFORM_TOKEN,
    QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
    OUTBOX_RELAY_INTERVAL_MS: '200',
    WORKER_STALLED_INTERVAL_MS: '2000',
    WEBHOOK_RETRY_DELAY_MS: '100',
    WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    // Suites send far more than a person would; the rate-limit test sets its own limits.
    AUTH_FAILURE_LIMIT_PER_MINUTE: '0',
    WRITE_LIMIT_PER_MINUTE: '0',
    ...overrides,
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  await ensurePlatformAdmin(database.db, PLATFORM_TOKEN, logger, config.tokenLifetimes);
  const reportsDatabase = config.reportsDatabaseUrl
    ? openReportsDatabase(config.reportsDatabaseUrl, logger)
    : undefined;
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const relay = startOutboxRelay(database.db, queues, logger, config.outboxRelayIntervalMs);
  const app = await buildApp({ config, database, reportsDatabase, logger, queues, relay });
  await app.ready();
  checkAnswersAgainstContract(app);
  const running: { close(): Promise<void> }[] = [];
  return {
    app,
    database,
    config,
    queues,
    relay,
    logLines,
    startWorkers: async () => {
      const workers = await startWorkers({ config, db: database.db, queues, relay, logger });
      running.push(workers);
      return workers;
    },
    close: async () => {
      await app.close();
      for (const workers of running) await workers.close();
      await relay.stop();
      await Promise.all(
        QUEUE_NAMES.map((name) =>
          queues
            .get(name)
            .obliterate({ force: true })
            .catch(() => {}),
        ),
      );
      await queues.close();
      await reportsDatabase?.close();
      await database.close();
      await clone?.drop();
    },
  };
}

/**
 * Every answer a test receives through `app.inject` is checked against openapi/openapi.json
 * (status, content type and body declared for the operation): a test whose request meets an
 * undeclared answer fails, naming the operation and what differs.
 */
function checkAnswersAgainstContract(app: App) {
  const inject = app.inject.bind(app);
  const checked = async (options: InjectOptions | string) => {
    const response = await inject(options);
    const violation = contractViolation({
      method: response.raw.req.method ?? 'GET',
      url: response.raw.req.url ?? '/',
      statusCode: response.statusCode,
      contentType: response.headers['content-type']?.toString(),
      body: response.body,
    });
    if (violation) throw new Error(`The answer is not what openapi/openapi.json declares: ${violation}`);
    return response;
  };
  Object.defineProperty(app, 'inject', { value: checked, configurable: true, writable: true });
}
