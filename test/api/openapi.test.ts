import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApi, renderOpenApiTypes } from '../../src/openapi/document.js';

describe('openapi/openapi.json', () => {
  it('matches the routes (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(await renderOpenApi());
  });

  it('has current TypeScript types in openapi/schema.d.ts (run `npm run openapi`)', async () => {
    const document = readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8');
    const committed = readFileSync(new URL('../../openapi/schema.d.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await renderOpenApiTypes(document));
  });
});
