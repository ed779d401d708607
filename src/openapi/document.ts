import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import { createLogger } from '../logger.js';
import type { QueueSet } from '../queue/queues.js';

/** The OpenAPI document as committed: built from the route table, no database needed. */
export async function renderOpenApi(): Promise<string> {
  const unused = () => Promise.reject(new Error('no database while rendering the OpenAPI document'));
  const database = { db: {} as DatabaseHandle['db'], kind: 'postgres', ping: unused, close: async () => {} } as DatabaseHandle;
  const queues = { prefix: 'unused', get: unused, redis: null, ping: unused, close: async () => {} } as unknown as QueueSet;
  const app = await buildApp({
    config: loadConfig({}),
    database,
    logger: createLogger('silent'),
    queues,
    relay: { nudge: () => {} },
  });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}
