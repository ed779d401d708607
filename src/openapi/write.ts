import { writeFileSync } from 'node:fs';
import { renderOpenApi } from './document.js';

/** `npm run openapi`: regenerates openapi/openapi.json; a test fails when the committed file is stale. */
const path = new URL('../../openapi/openapi.json', import.meta.url);
writeFileSync(path, await renderOpenApi());
console.log(`wrote ${path.pathname}`);
