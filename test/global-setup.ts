import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { MIGRATIONS_FOLDER } from '../src/db/client.js';

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

  const admin = new pg.Client({ connectionString: services.databaseAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${templateDatabase}"`);
  const templatePool = new pg.Pool({ connectionString: withDatabase(services.databaseAdminUrl, templateDatabase) });
  await migrate(drizzle(templatePool), { migrationsFolder: MIGRATIONS_FOLDER });
  await templatePool.end();

  project.provide('databaseAdminUrl', services.databaseAdminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('redisUrl', services.redisUrl);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`wsb_test_${runId}_%`],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.end();
    await services.stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
