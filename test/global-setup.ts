import type { TestProject } from 'vitest/node';
import { asAdmin, createMigratedDatabase, dropDatabase } from './helpers/postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
    redisUrl: string;
  }
}

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS = 'redis://127.0.0.1:6379';

interface Services {
  databaseAdminUrl: string;
  redisUrl: string;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL and Redis for the tests: containers when a container engine is available,
 * otherwise the services named by DATABASE_URL / REDIS_URL (default: the local ones).
 */
async function startServices(): Promise<Services> {
  if (!process.env.DATABASE_URL && !process.env.REDIS_URL) {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const { RedisContainer } = await import('@testcontainers/redis');
      const [postgres, redis] = await Promise.all([
        new PostgreSqlContainer('postgres:16-alpine').start(),
        new RedisContainer('redis:7-alpine').withCommand(['redis-server', '--maxmemory-policy', 'noeviction']).start(),
      ]);
      return {
        databaseAdminUrl: postgres.getConnectionUri(),
        redisUrl: redis.getConnectionUrl(),
        stop: async () => {
          await Promise.all([postgres.stop(), redis.stop()]);
        },
      };
    } catch {
      // No container runtime here: use the running services.
    }
  }
  return {
    databaseAdminUrl: process.env.DATABASE_URL ?? LOCAL_POSTGRES,
    redisUrl: process.env.REDIS_URL ?? LOCAL_REDIS,
    stop: async () => {},
  };
}

export default async function setup(project: TestProject) {
  const services = await startServices();
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const templateDatabase = `wsb_test_${runId}_template`;

  await createMigratedDatabase(services.databaseAdminUrl, templateDatabase);

  project.provide('databaseAdminUrl', services.databaseAdminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('redisUrl', services.redisUrl);

  return async () => {
    // The template and every clone a test file left behind.
    const { rows } = await asAdmin(services.databaseAdminUrl, (client) =>
      client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `wsb_test_${runId}_%`,
      ]),
    );
    for (const { datname } of rows) await dropDatabase(services.databaseAdminUrl, datname);
    await services.stop();
  };
}
