import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import { createLogger } from '../logger.js';
import { createQueues } from '../queue/queues.js';

/** The OpenAPI document as committed: built from the route table, no database needed. */
export async function renderOpenApi(): Promise<string> {
  const unused = () => Promise.reject(new Error('no database while rendering the OpenAPI document'));
  const database = {
    db: {} as DatabaseHandle['db'],
    kind: 'postgres',
    ping: unused,
    close: async () => {},
  } as DatabaseHandle;
  // Queues are constructed (Bull Board needs them) but never used: no Redis command is sent.
  const queues = createQueues('redis://127.0.0.1:1', 'openapi');
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
  await queues.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * The TypeScript types of the document (openapi-typescript), committed as openapi/schema.d.ts for
 * clients built with openapi-fetch; a test fails when they are stale.
 */
export async function renderOpenApiTypes(documentJson: string): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(JSON.parse(documentJson) as OpenAPI3));
}
