import { writeFileSync } from 'node:fs';
import { renderOpenApi, renderOpenApiTypes } from './document.js';

/**
 * `npm run openapi`: regenerates openapi/openapi.json and its TypeScript types (openapi/schema.d.ts);
 * a test fails when either committed file is stale.
 */
const documentPath = new URL('../../openapi/openapi.json', import.meta.url);
const typesPath = new URL('../../openapi/schema.d.ts', import.meta.url);
const document = await renderOpenApi();
writeFileSync(documentPath, document);
writeFileSync(typesPath, await renderOpenApiTypes(document));
console.log(`wrote ${documentPath.pathname} and ${typesPath.pathname}`);
