/**
 * The reports on the embedded database (PGlite, used by `npm run demo` and deployments without
 * DATABASE_URL): the same hand-computed pack as on PostgreSQL, and every report endpoint answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GovernancePack } from '../../src/reports/schemas.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { get } from '../helpers/fixtures.js';
import { PERIOD, buildDataset, type Dataset } from './dataset.js';
import { expectedPack, rounded } from './expected-pack.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'wsb-embedded-reports-'));
let ctx: TestContext;
let data: Dataset;

beforeAll(async () => {
  ctx = await createTestContext({}, { embeddedDataDir: dataDir });
  expect(ctx.database.kind).toBe('embedded');
  data = await buildDataset(ctx);
}, 300_000);
afterAll(async () => {
  await ctx?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const q = `from=${PERIOD.from}&to=${PERIOD.to}`;

describe('reports on PGlite', () => {
  it('give the same hand-computed board pack', async () => {
    const res = await get<GovernancePack>(
      ctx.app,
      `/v1/reports/governance?${q}&ackTarget=0.9&resolutionDaysTarget=30`,
      data.org.governance.token,
    );
    expect(res.status, res.raw).toBe(200);
    const actual = { ...res.body, period: { ...res.body.period, generatedAt: 'GENERATED' } };
    expect(rounded(actual)).toEqual(rounded(expectedPack(data)));
  });

  it.each([
    `/v1/reports/governance?${q}&format=csv`,
    `/v1/reports/governance?${q}&format=html`,
    `/v1/reports/alignment?${q}`,
    `/v1/reports/spc?metric=ack_within_deadline&${q}`,
    `/v1/reports/threats?${q}`,
    `/v1/exports/fhir?${q}`,
  ])('answer %s', async (url) => {
    const res = await get(ctx.app, url, data.org.governance.token);
    expect(res.status, res.raw.slice(0, 500)).toBe(200);
  });
});
