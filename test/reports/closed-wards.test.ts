/**
 * A closed ward takes no briefings, so the board pack expects its briefings only up to the day it
 * closed: it is not counted as missing them on every working day after, and the trust's share of
 * days briefed is not pulled down by it. The FHIR export gives its Location as inactive.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { get, post, type Organisation } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;
beforeAll(async () => {
  ({ ctx, org } = await startApiTest());
});
afterAll(() => ctx?.close());

interface WardFidelity {
  ward: { id: string; closedOn: string | null };
  workingDays: number;
  heldWorkingDays: number;
}

it('expects its briefings up to the day it closed, and exports it as an inactive Location', async () => {
  const [open, closing] = org.wards as [Organisation['wards'][0], Organisation['wards'][0]];
  for (const ward of [open, closing]) {
    for (const date of ['2025-06-02', '2025-06-03']) {
      const res = await post(ctx.app, '/v1/briefings', ward.deviceToken, { wardId: ward.id, date, items: [] });
      expect(res.status, res.raw).toBe(201);
    }
  }
  const closed = await post(ctx.app, `/v1/wards/${closing.id}/close`, org.adminToken, { reason: 'Service moved' });
  expect(closed.status, closed.raw).toBe(200);
  // Closed on Tuesday 3 June 2025, at noon UK time.
  await ctx.database.db.execute(sql`UPDATE wards SET closed_at = '2025-06-03T11:00:00Z' WHERE id = ${closing.id}`);

  // 2 to 13 June: ten working days for the open ward, two (2 and 3 June) for the closed one.
  const pack = await get(ctx.app, '/v1/reports/governance?from=2025-06-02&to=2025-06-13', org.governance.token);
  expect(pack.status, pack.raw).toBe(200);
  const byWard = new Map(
    (pack.body.fidelity.wards as WardFidelity[]).map((w) => [
      w.ward.id,
      [w.ward.closedOn, w.workingDays, w.heldWorkingDays],
    ]),
  );
  expect(byWard.get(open.id)).toEqual([null, 10, 2]);
  expect(byWard.get(closing.id)).toEqual(['2025-06-03', 2, 2]);
  expect(pack.body.fidelity.overall).toMatchObject({ workingDays: 12, heldWorkingDays: 4 });

  const fhir = await get(ctx.app, '/v1/exports/fhir?from=2025-06-01&to=2025-06-30', org.governance.token);
  expect(fhir.status, fhir.raw).toBe(200);
  const locations = (
    JSON.parse(fhir.raw).entry as {
      resource: { resourceType: string; status: string; identifier: { value: string }[] };
    }[]
  )
    .map((entry) => entry.resource)
    .filter((resource) => resource.resourceType === 'Location');
  expect(new Map(locations.map((l) => [l.identifier[0]!.value, l.status]))).toEqual(
    new Map([
      [open.id, 'active'],
      [closing.id, 'inactive'],
    ]),
  );
});
