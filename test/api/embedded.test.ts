import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import {
  briefingBody,
  call,
  createOrganisation,
  expectProblem,
  get,
  post,
  type Organisation,
} from '../helpers/fixtures.js';

// Opening PGlite and migrating takes a few seconds each time.
const SLOW = 120_000;

describe('the embedded database (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wsb-embedded-'));
  let ctx: TestContext | undefined;
  let org: Organisation;
  let briefingId: string;

  afterAll(async () => {
    await ctx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'opens PGlite under DATA_DIR, migrates, and serves the API',
    async () => {
      ctx = await createTestContext({}, { embeddedDataDir: dataDir });
      expect(ctx.config.databaseUrl).toBeUndefined();
      expect(ctx.database.kind).toBe('embedded');
      const ready = await call(ctx.app, { method: 'GET', url: '/ready' });
      expect(ready.status, ready.raw).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'up' } });

      org = await createOrganisation(ctx.app);
      const ward = org.wards[0]!;
      const created = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id));
      expect(created.status, created.raw).toBe(201);
      expect(created.body.items[0]).toMatchObject({ riskScore: 12, riskBand: 'high', status: 'open' });
      briefingId = created.body.id;

      // The same rules hold: one briefing per ward, date and shift.
      const duplicate = await post(ctx.app, '/v1/briefings', ward.deviceToken, briefingBody(ward.id));
      expect(expectProblem(duplicate, 409).existingBriefingId).toBe(briefingId);

      await ctx.close();
      ctx = undefined;
    },
    SLOW,
  );

  it(
    'keeps the data when the same DATA_DIR is opened again',
    async () => {
      expect(briefingId, 'the first test stored a briefing').toBeDefined();
      ctx = await createTestContext({}, { embeddedDataDir: dataDir });
      expect(ctx.database.kind).toBe('embedded');

      const read = await get(ctx.app, `/v1/briefings/${briefingId}`, org.governance.token);
      expect(read.status, read.raw).toBe(200);
      expect(read.body).toMatchObject({ id: briefingId, wardId: org.wards[0]!.id, date: '2026-11-02' });
      expect(read.body.items).toHaveLength(2);

      const wards = await get(ctx.app, '/v1/wards', org.adminToken);
      expect(wards.body.data.map((w: { code: string }) => w.code)).toEqual(['W1', 'W2']);
      // Tokens issued before the restart still work, and the briefing slot is still taken.
      const duplicate = await post(ctx.app, '/v1/briefings', org.wards[0]!.deviceToken, briefingBody(org.wards[0]!.id));
      expect(expectProblem(duplicate, 409).existingBriefingId).toBe(briefingId);
    },
    SLOW,
  );
});
