import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { ensurePlatformAdmin } from '../../src/auth/service.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { cloneTestDatabase } from './database.js';

export const PLATFORM_TOKEN = 'test-platform-admin-token-0123456789';

export interface TestContext {
  app: App;
  database: DatabaseHandle;
  config: Config;
  /** Every log line the app wrote, for tests that check what must never be logged. */
  logLines: string[];
  close(): Promise<void>;
}

export async function createTestContext(overrides: Record<string, string> = {}): Promise<TestContext> {
  const clone = await cloneTestDatabase();
  const config = loadConfig({
    DATABASE_URL: clone.url,
    REDIS_URL: inject('redisUrl'),
    LOG_LEVEL: 'info',
    BOOTSTRAP_ADMIN_TOKEN: PLATFORM_TOKEN,
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
  await ensurePlatformAdmin(database.db, PLATFORM_TOKEN, logger);
  const app = await buildApp({ config, database, logger });
  await app.ready();
  return {
    app,
    database,
    config,
    logLines,
    close: async () => {
      await app.close();
      await database.close();
      await clone.drop();
    },
  };
}
