import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import { createLogger } from '../logger.js';

/** The OpenAPI document as committed: built from the route table, no database needed. */
export async function renderOpenApi(): Promise<string> {
  const unused = () => Promise.reject(new Error('no database while rendering the OpenAPI document'));
  const database = { db: {} as DatabaseHandle['db'], kind: 'postgres', ping: unused, close: async () => {} } as DatabaseHandle;
  const app = await buildApp({ config: loadConfig({}), database, logger: createLogger('silent') });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}
