import { buildApp } from './app.js';
import { ensurePlatformAdmin } from './auth/service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/client.js';
import { createLogger } from './logger.js';

export interface StartedService {
  url: string;
  stop(): Promise<void>;
}

/** Opens the database, migrates, and serves HTTP until stopped. */
export async function startService(config: Config): Promise<StartedService> {
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  logger.info({ database: database.kind }, 'database ready and migrated');

  const generated = await ensurePlatformAdmin(database.db, config.bootstrapAdminToken, logger);
  if (generated) {
    process.stdout.write(`\nPlatform administrator token (shown once, keep it safe):\n  ${generated}\n\n`);
  }

  const app = await buildApp({ config, database, logger });
  const url = await app.listen({ port: config.port, host: config.host });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down: no new requests, finishing those in flight');
      await app.close();
      await database.close();
    })());
  return { url, stop };
}

export function exitOnSignals(service: StartedService) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      service.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  exitOnSignals(await startService(config));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error('failed to start:', error);
    process.exit(1);
  });
}
