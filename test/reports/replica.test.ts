/**
 * Reports and exports read from a real hot standby of the test server (REPORTS_DATABASE_URL),
 * while every write, the inbox and the briefing pack stay on the primary. The standby is a
 * `pg_basebackup -R` of the whole cluster (so it has this file's database clone too), started
 * with pg_ctl on a free port and removed afterwards (test/helpers/hot-standby.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { inject } from 'vitest';
import type { GovernancePack } from '../../src/reports/schemas.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { putPolicy, waitFor } from '../helpers/escalation.js';
import { briefingBody, createOrganisation, get, post, type Organisation } from '../helpers/fixtures.js';
import { startHotStandby, type HotStandby } from '../helpers/hot-standby.js';

let standby: HotStandby;
let ctx: TestContext;
let org: Organisation;
let databaseName: string;

beforeAll(async () => {
  standby = await startHotStandby(inject('databaseAdminUrl'));
  ctx = await createTestContext({}, { reportsDatabaseUrl: (url) => standby.urlOf(url) });
  databaseName = new URL(ctx.config.databaseUrl!).pathname.slice(1);
  org = await createOrganisation(ctx.app);
  await putPolicy(ctx, org, org.wards[0]!.id, { levels: [{ staffId: org.middleManager.id }] });
  // This file's database was created after the copy: the standby has it once it has replayed that far.
  await standby.waitForReplay();
}, 300_000);
afterAll(async () => {
  await standby?.stop();
  await ctx?.close();
});

// Escalations count in the period they were opened (now), so the period ends tomorrow.
const day = (offset: number) => addDays(localDateOf(new Date()), offset);
const PERIOD = `from=${day(-30)}&to=${day(1)}`;
const SHIFTS = ['day', 'night'];

/** Records today's next briefing with one unresolved high-risk problem on ward 1 (escalated to the middle manager). */
async function recordBriefing(description: string) {
  const ward = org.wards[0]!;
  const res = await post(
    ctx.app,
    '/v1/briefings',
    ward.deviceToken,
    briefingBody(ward.id, {
      date: day(0),
      shift: SHIFTS.shift(),
      items: [
        { kind: 'problem', category: 'equipment', description, consequence: 4, likelihood: 3, needsChange: true },
      ],
    }),
  );
  expect(res.status, res.raw).toBe(201);
  return res.body.items[0] as { id: string; escalation: { id: string } };
}

async function pack() {
  const res = await get<GovernancePack>(ctx.app, `/v1/reports/governance?${PERIOD}`, org.governance.token);
  expect(res.status, res.raw).toBe(200);
  return res.body;
}

const inboxIds = async () =>
  ((await get(ctx.app, '/v1/inbox', org.middleManager.token)).body.data as { id: string }[]).map((e) => e.id);

describe('reports on a read replica (REPORTS_DATABASE_URL)', () => {
  it('serve a briefing written through the API once the standby has replayed it, saying it read the replica', async () => {
    const [inRecovery] = await standby.query<{ standby: boolean }>(
      databaseName,
      'SELECT pg_is_in_recovery() AS standby',
    );
    expect(inRecovery?.standby).toBe(true);
    await recordBriefing('Infusion pumps failing their safety check');
    await standby.waitForReplay();
    const body = await pack();
    expect(body.period.readFrom).toBe('replica');
    expect(body.items.overall.total.current).toBe(1);
    expect(body.escalations.overall.opened).toBe(1);
    // Caught up: everything received was replayed.
    expect(body.period.replicationLagSeconds).toBe(0);

    for (const url of [
      `/v1/reports/alignment?${PERIOD}`,
      `/v1/reports/spc?metric=items_raised&${PERIOD}`,
      `/v1/reports/threats?${PERIOD}`,
    ]) {
      const res = await get<{ period?: { readFrom: string } }>(ctx.app, url, org.governance.token);
      expect(res.status, res.raw).toBe(200);
      if (res.body.period) expect(res.body.period.readFrom, url).toBe('replica');
    }
    const fhir = await get(ctx.app, `/v1/exports/fhir?${PERIOD}`, org.governance.token);
    expect(fhir.status, fhir.raw).toBe(200);
  });

  it('while replay is paused: writes, the inbox and the briefing pack use the primary; reports state how far behind they are', async () => {
    const before = await pack();
    await standby.query(databaseName, 'SELECT pg_wal_replay_pause()');
    try {
      const pausedAt = Date.now();
      // A write succeeds (the standby refuses every write, so it went to the primary).
      const item = await recordBriefing('Bed rails on bay 4 not locking');
      await standby.waitForReplay({ receivedOnly: true });
      await new Promise((resolve) => setTimeout(resolve, 300));

      // The inbox and the ward's briefing pack read the primary: the new escalation is there at once.
      expect(await inboxIds()).toContain(item.escalation.id);
      const briefingPack = await get(ctx.app, `/v1/wards/${org.wards[0]!.id}/briefing-pack`, org.middleManager.token);
      expect(briefingPack.status, briefingPack.raw).toBe(200);
      expect((briefingPack.body.openItems as { id: string }[]).map((i) => i.id)).toContain(item.id);

      // The report reads the paused replica: the new briefing is not in it, and it says how far behind it is.
      const asked = Date.now();
      const behind = await pack();
      expect(behind.period.readFrom).toBe('replica');
      expect(behind.items.overall.total.current).toBe(before.items.overall.total.current);
      expect(behind.escalations.overall.opened).toBe(before.escalations.overall.opened);
      // At least the time since the pause: the last commit replayed is older still.
      expect(behind.period.replicationLagSeconds).toBeGreaterThanOrEqual((asked - pausedAt) / 1000 - 0.05);
      expect(behind.period.replicationLagSeconds).toBeGreaterThan(0.3);

      const csv = await ctx.app.inject({
        method: 'GET',
        url: `/v1/reports/governance?${PERIOD}&format=csv`,
        headers: { authorization: `Bearer ${org.governance.token}` },
      });
      expect(csv.statusCode).toBe(200);
      expect(csv.body).toContain(',replica\r\n');
      expect(csv.body).toMatch(/\nreplication_lag_seconds,all,[^,]+,(\d+\.?\d*)\r\n/);
      const html = await ctx.app.inject({
        method: 'GET',
        url: `/v1/reports/governance?${PERIOD}&format=html`,
        headers: { authorization: `Bearer ${org.governance.token}` },
      });
      expect(html.body).toMatch(/Read from a replica \d+\.\d{3} s behind the primary/);
    } finally {
      await standby.query(databaseName, 'SELECT pg_wal_replay_resume()');
    }

    await standby.waitForReplay();
    // Other test files write to other databases of the same server, so WAL may still be arriving
    // when a report asks; the caught-up replica reads 0 between those writes.
    const after = await waitFor(
      async () => {
        const read = await pack();
        return read.period.replicationLagSeconds === 0 ? read : false;
      },
      20_000,
      'a report from the caught-up replica saying it is not behind',
    );
    expect(after.items.overall.total.current).toBe(before.items.overall.total.current + 1);
    expect(after.escalations.overall.opened).toBe(before.escalations.overall.opened + 1);
  });

  it('the standby refuses writes: it is a replica, not a second primary', async () => {
    await expect(
      standby.query(databaseName, `UPDATE organisations SET name = name WHERE id = '${org.id}'`),
    ).rejects.toThrow(/read-only transaction/);
  });
});
