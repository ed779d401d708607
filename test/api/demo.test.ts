/**
 * The demo data behind `npm run demo` (six weeks, as the demo seeds it): seeded through the
 * service's own functions, it must be usable with the printed tokens, show what the service does
 * (repeats grouped into one escalation, managers' barriers, the senior review queue and its
 * decisions, alignment by level, the adjusted models), hold a verifiable audit trail, and be
 * seeded only once.
 */
import { eq, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations, itemCorrections, seniorDecisions } from '../../src/db/schema.js';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { DEMO_TOKENS, seedDemo } from '../../src/demo/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { get } from '../helpers/fixtures.js';

let ctx: TestContext;
let seeded: Awaited<ReturnType<typeof seedDemo>>;

beforeAll(async () => {
  ctx = await createTestContext();
  seeded = await seedDemo(ctx.database.db, ctx.relay);
}, 240_000);
afterAll(() => ctx?.close());

/** A period that holds every seeded week. */
const today = localDateOf(new Date());
const period = `from=${addDays(today, -8 * 7)}&to=${today}`;

interface InboxEntry {
  id: string;
  threadId: string;
  raisedCount: number;
  firstRaisedOn: string;
  item: { raisedOn: string };
  managerPosition: string | null;
}

const inboxOf = async (token: string) => {
  const inbox = await get<{ data: InboxEntry[] }>(ctx.app, '/v1/inbox?limit=200', token);
  expect(inbox.status, inbox.raw).toBe(200);
  return inbox.body.data;
};

describe('the demo data', () => {
  it('answers the README examples with the printed tokens', async () => {
    expect(seeded.seeded).toBe(true);
    const wards = await get(ctx.app, '/v1/wards', DEMO_TOKENS.matronMedicine);
    expect(wards.status, wards.raw).toBe(200);
    expect(wards.body.data.length).toBeGreaterThan(0);

    const open = await get(ctx.app, '/v1/items?status=open&band=high', DEMO_TOKENS.directorOfNursing);
    expect(open.status, open.raw).toBe(200);
    expect(open.body.data.length, 'open high-risk items to look at').toBeGreaterThan(0);
    for (const item of open.body.data) expect(item).toMatchObject({ status: 'open', riskBand: 'high' });

    const inbox = await get(ctx.app, '/v1/inbox', DEMO_TOKENS.matronMedicine);
    expect(inbox.status, inbox.raw).toBe(200);
    expect(inbox.body.data.length, 'the matron has escalations waiting').toBeGreaterThan(0);
  });

  it('has a deputy: the surgical matron covers the medical matron, whose escalations are in her inbox as cover', async () => {
    const inbox = await get(ctx.app, '/v1/inbox?limit=200', DEMO_TOKENS.matronSurgery);
    expect(inbox.status, inbox.raw).toBe(200);
    const covered = inbox.body.data.filter((e: { cover: unknown }) => e.cover !== null);
    expect(covered.length, 'escalations held for the medical matron').toBeGreaterThan(0);
    for (const entry of covered) expect(entry.cover.name).toBe('Sam Okafor (matron, medicine)');
    const medical = await get(ctx.app, '/v1/inbox?limit=200', DEMO_TOKENS.matronMedicine);
    expect(covered.map((e: { id: string }) => e.id).sort()).toEqual(
      medical.body.data.map((e: { id: string }) => e.id).sort(),
    );
  });

  it('holds an amended item and a voided one, each with its reason', async () => {
    const [amended, voided] = await Promise.all(
      ['amended', 'voided'].map(async (action) => {
        const [row] = await ctx.database.db
          .select()
          .from(itemCorrections)
          .where(eq(itemCorrections.action, action as 'amended'));
        return row!;
      }),
    );
    const corrections = await get(ctx.app, `/v1/items/${amended!.itemId}/corrections`, DEMO_TOKENS.governance);
    expect(corrections.body.data).toEqual([
      expect.objectContaining({ action: 'amended', reason: expect.stringContaining('Graded as unlikely') }),
    ]);
    expect((await get(ctx.app, `/v1/items/${amended!.itemId}`, DEMO_TOKENS.governance)).status).toBe(200);
    expect((await get(ctx.app, `/v1/items/${voided!.itemId}`, DEMO_TOKENS.governance)).status).toBe(404);
    const trail = await get(ctx.app, `/v1/items/${voided!.itemId}/timeline`, DEMO_TOKENS.governance);
    expect(trail.body.data.map((e: { action: string }) => e.action)).toContain('voided');
  });

  it('shows issues raised again as one escalation each in the inbox, with how often and since when', async () => {
    const inbox = await inboxOf(DEMO_TOKENS.matronMedicine);
    expect(new Set(inbox.map((e) => e.threadId)).size, 'each thread once').toBe(inbox.length);
    const grouped = inbox.filter((e) => e.raisedCount > 1);
    expect(grouped.length, 'threads raised again while their escalation was open').toBeGreaterThan(0);
    for (const entry of grouped) expect(entry.firstRaisedOn <= entry.item.raisedOn).toBe(true);
    const entry = grouped[0]!;
    const shown = await get(ctx.app, `/v1/escalations/${entry.id}`, DEMO_TOKENS.matronMedicine);
    expect(shown.status, shown.raw).toBe(200);
    expect(shown.body).toMatchObject({ raisedCount: entry.raisedCount, firstRaisedOn: entry.firstRaisedOn });
    const joined = shown.body.history.filter((h: { type: string }) => h.type === 'raised_again');
    expect(joined.length, 'repeats that joined it').toBeGreaterThan(0);
    const told = await get(ctx.app, '/v1/notifications', DEMO_TOKENS.matronMedicine);
    const messages = told.body.data
      .filter((n: { type: string }) => n.type === 'raised_again')
      .map((n: { message: string }) => n.message);
    expect(messages).toContainEqual(expect.stringMatching(/^Raised again \(\d+ times\)$/));

    // Held by the database as well: one open escalation per thread, whatever the inbox.
    const open = await ctx.database.db
      .select({ threadId: escalations.threadId })
      .from(escalations)
      .where(ne(escalations.state, 'resolved'));
    expect(new Set(open.map((row) => row.threadId)).size, 'one open escalation per thread').toBe(open.length);
  });

  it('shows the barriers a manager named when disagreeing, on the escalation and in the board pack', async () => {
    const disagreed = (await inboxOf(DEMO_TOKENS.matronSurgery)).filter((e) => e.managerPosition === 'disagree');
    expect(disagreed.length, 'escalations the matron disagreed with').toBeGreaterThan(0);
    const shown = await get(ctx.app, `/v1/escalations/${disagreed[0]!.id}`, DEMO_TOKENS.matronSurgery);
    expect(shown.body.managerPosition).toMatchObject({ stance: 'disagree', barrierNote: expect.any(String) });
    expect(shown.body.managerPosition.barriers.length).toBeGreaterThan(0);
    const pack = await get(ctx.app, `/v1/reports/governance?${period}`, DEMO_TOKENS.governance);
    expect(pack.status, pack.raw).toBe(200);
    expect(pack.body.alignment.barriers.disagreeing).toBeGreaterThan(0);
    const named = pack.body.alignment.barriers.barriers.filter((b: { disagreeing: number }) => b.disagreeing > 0);
    expect(named.length, 'barriers named by managers who disagree').toBeGreaterThan(1);
  });

  it('has a senior review queue, and decisions already taken on the items’ timelines', async () => {
    const queue = await get(ctx.app, '/v1/senior-review', DEMO_TOKENS.directorOfNursing);
    expect(queue.status, queue.raw).toBe(200);
    expect(queue.body.data.length, 'issues waiting for a senior decision').toBeGreaterThan(0);
    const queued = new Set(queue.body.data.map((e: { threadId: string }) => e.threadId));

    const decided = await ctx.database.db.select().from(seniorDecisions);
    expect(decided.map((d) => d.decision).sort()).toEqual(['accept_risk', 'adopt_as_qi_target', 'send_back']);
    for (const decision of decided) {
      expect(queued.has(decision.threadId), 'a decided issue leaves the queue').toBe(false);
      const timeline = await get(ctx.app, `/v1/items/${decision.itemId}/timeline`, DEMO_TOKENS.governance);
      expect(timeline.body.data).toContainEqual(
        expect.objectContaining({
          action: 'senior_decision',
          changes: expect.objectContaining({ decision: decision.decision }),
        }),
      );
    }
    const adopted = decided.find((d) => d.decision === 'adopt_as_qi_target')!;
    const item = await get(ctx.app, `/v1/items/${adopted.itemId}`, DEMO_TOKENS.directorOfNursing);
    expect(item.body.priorities.map((p: { id: string }) => p.id)).toContain(adopted.priorityId);
    expect(item.body.alignment.priorityAligned).toBe(true);
    const accepted = decided.find((d) => d.decision === 'accept_risk')!;
    expect(accepted.reason).toEqual(expect.any(String));
    expect(accepted.reviewDate! > today, 'comes back on its review date').toBe(true);
    const returned = decided.find((d) => d.decision === 'send_back')!;
    const matrons = [DEMO_TOKENS.matronMedicine, DEMO_TOKENS.matronSurgery, DEMO_TOKENS.itServiceManager];
    const told = await Promise.all(matrons.map((token) => get(ctx.app, '/v1/notifications', token)));
    const sentBack = told.flatMap((n) => n.body.data).filter((n: { type: string }) => n.type === 'sent_back');
    expect(sentBack, `the manager of ${returned.threadId} is told`).toHaveLength(1);
  });

  it('reports alignment by level for every ward, with the senior decisions', async () => {
    const levels = await get(ctx.app, `/v1/reports/alignment-by-level?${period}`, DEMO_TOKENS.governance);
    expect(levels.status, levels.raw).toBe(200);
    expect(levels.body.byWard.map((w: { ward: { code: string } }) => w.ward.code).sort()).toEqual([
      '4A',
      '4B',
      '7A',
      '7B',
    ]);
    for (const ward of levels.body.byWard) expect(ward.teamManagerAnswered).toBeGreaterThan(0);
    expect(levels.body.byDivision).toHaveLength(2);
    expect(levels.body.overall.managerSeniorDecided).toBeGreaterThanOrEqual(2);
    expect(levels.body.overall.returned).toBeGreaterThanOrEqual(1);
  });

  it('answers enough issues for the adjusted models, in the alignment report and beside the table in the board pack', async () => {
    const report = await get(ctx.app, `/v1/reports/alignment?${period}`, DEMO_TOKENS.governance);
    expect(report.status, report.raw).toBe(200);
    const { models } = report.body;
    for (const name of ['logistic', 'mantelHaenszel', 'cox', 'logRank']) {
      expect(models[name], name).toMatchObject({ status: 'estimated', warnings: [] });
      expect(models[name].reading).not.toMatch(/^Not estimated/);
    }
    expect(models.omittedTerms).toEqual([]);
    const agreement = models.logistic.terms.find((t: { term: string }) => t.term === 'agreement');
    expect(agreement.lower).toBeLessThan(agreement.ratio);
    expect(agreement.upper).toBeGreaterThan(agreement.ratio);
    expect(models.logistic.agreementTest).toMatchObject({ df: 1 });
    expect(models.logistic.bandTest).toMatchObject({ df: models.bands.length - 1 });
    expect(models.mantelHaenszel.oddsRatio).toEqual(expect.any(Number));
    expect(models.mantelHaenszel.breslowDay).toMatchObject({ df: models.mantelHaenszel.strata - 1 });
    expect(models.cox.terms.map((t: { term: string }) => t.term)).toContain('agreement');
    expect(models.logRank.test).toMatchObject({ df: 1 });

    const pack = await get(ctx.app, `/v1/reports/governance?${period}`, DEMO_TOKENS.governance);
    expect(pack.body.alignment.adjusted).toMatchObject({ observations: models.observations });
    expect(pack.body.alignment.adjusted.logistic.status).toBe('estimated');
    const html = await ctx.app.inject({
      method: 'GET',
      url: `/v1/reports/governance?${period}&format=html`,
      headers: { authorization: `Bearer ${DEMO_TOKENS.governance}` },
    });
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('Logistic regression of resolution (clustered on threads)');
    expect(html.body).toContain('Cox model of time to resolution');
    expect(html.body).not.toContain('Not estimated');
  });

  it('holds an audit trail that verifies', async () => {
    const verified = await get(ctx.app, '/v1/audit/verify', DEMO_TOKENS.governance);
    expect(verified.status, verified.raw).toBe(200);
    expect(verified.body.ok).toBe(true);
    expect(verified.body.events).toBeGreaterThan(50);
  });

  it('is seeded once: a second start leaves it as it is', async () => {
    const again = await seedDemo(ctx.database.db, ctx.relay, { weeks: 2 });
    expect(again).toEqual({ organisationId: seeded.organisationId, seeded: false });
  });
});
