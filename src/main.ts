import { buildApp } from './app.js';
import { ensurePlatformAdmin } from './tokens/service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, openReportsDatabase, type DatabaseHandle } from './db/client.js';
import { startWorkerHealthServer } from './health/worker-server.js';
import { createLogger } from './logger.js';
import { startOutboxRelay } from './queue/outbox.js';
import { startAuditSealer } from './audit/sealer.js';
import { startIdempotencyPurge } from './http/idempotency.js';
import { createQueues } from './queue/queues.js';
import { waitForQueueRedis } from './queue/workers.js';
import { startReconciler, startWorkers } from './jobs.js';
import { forkApiProcesses } from './api-cluster.js';
import { createScrape } from './metrics/scrape.js';
import { metricSources } from './metric-sources.js';
import { stopTracing } from './tracing/context.js';

export interface StartedService {
  /** The API's address, or a worker's health port (/health, /ready). */
  url: string | null;
  stop(): Promise<void>;
}

/**
 * Starts what this process's ROLE asks for: HTTP (api), job consumers (worker), or both.
 * Every process relays the outbox, so work written by any process reaches the queues.
 */
export async function startService(
  config: Config,
  hooks: { afterMigrate?: (database: DatabaseHandle) => Promise<void> } = {},
): Promise<StartedService> {
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  logger.info({ database: database.kind, role: config.role }, 'database ready and migrated');
  await hooks.afterMigrate?.(database);
  const reportsDatabase = config.reportsDatabaseUrl
    ? openReportsDatabase(config.reportsDatabaseUrl, logger)
    : undefined;

  const generated = await ensurePlatformAdmin(database.db, config.bootstrapAdminToken, logger, config.tokenLifetimes);
  if (generated) {
    process.stdout.write(`\nPlatform administrator token (shown once, keep it safe):\n  ${generated}\n\n`);
  }

  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const relay = startOutboxRelay(database.db, queues, logger, config.outboxRelayIntervalMs);
  const sealer = startAuditSealer(database.db, logger);
  const purge =
    config.role !== 'api' ? startIdempotencyPurge(database.db, logger, config.idempotencyRetentionDays) : null;

  // HTTP first: capture must work even while Redis is away.
  const app =
    config.role !== 'worker' ? await buildApp({ config, database, reportsDatabase, logger, queues, relay }) : null;
  const apiUrl = app ? await app.listen({ port: config.port, host: config.host }) : null;

  let workers: Awaited<ReturnType<typeof startWorkers>> | null = null;
  let reconciler: ReturnType<typeof startReconciler> | null = null;
  // A worker serves no API; on PORT it answers /health and /ready for its orchestrator (and the
  // container's health check), not ready until its consumers run.
  const consumersRunning = () => workers?.workers.every((worker) => worker.isRunning()) ?? false;
  const health = config.role === 'worker' ? await workerHealthServer(config, database, queues, consumersRunning) : null;
  const startConsumers = async () => {
    await waitForQueueRedis({ queues, logger });
    workers = await startWorkers({ config, db: database.db, queues, relay, logger });
    reconciler = startReconciler(database.db, queues, logger, config.reconcileIntervalSeconds, config.mail);
    await reconciler.runNow();
  };
  if (config.role === 'worker') {
    await startConsumers();
  } else if (config.role === 'all') {
    startConsumers().catch((error: unknown) => {
      logger.fatal({ err: error }, 'workers cannot start');
      console.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  }

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down: finishing requests and jobs in flight');
      // Stop taking requests (503 problem documents meanwhile); resolves once every request in
      // flight has finished, even one whose client went away (src/http/shutdown.ts).
      await app?.close();
      await health?.close();
      await reconciler?.stop();
      await workers?.close(); // finish jobs in flight before their queues close
      await relay.stop();
      await sealer.stop();
      await purge?.stop();
      await queues.close();
      await reportsDatabase?.close();
      await database.close();
      await stopTracing();
    })());
  return { url: apiUrl ?? health?.url ?? null, stop };
}

function workerHealthServer(
  config: Config,
  database: DatabaseHandle,
  queues: ReturnType<typeof createQueues>,
  consumersRunning: () => boolean,
) {
  return startWorkerHealthServer({
    host: config.host,
    port: config.port,
    checks: { consumersRunning, pingDatabase: () => database.ping(), pingQueue: () => queues.ping() },
    // A worker's metrics (timer lag, webhook failures, the gauges) are scraped here.
    metrics: config.metricsToken
      ? { token: config.metricsToken, scrape: createScrape(metricSources(database)) }
      : undefined,
  });
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
  if (forkApiProcesses(config)) return;
  exitOnSignals(await startService(config));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
