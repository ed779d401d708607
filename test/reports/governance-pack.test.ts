/**
 * Every figure of the board pack against hand-computed expectations (dataset.ts describes the
 * data; expected-pack.ts holds the figures, with the working). The JSON pack is compared whole,
 * so no figure can be missing or extra; the CSV and HTML are then checked to carry it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPackCsv } from '../../src/reports/render-csv.js';
import type { GovernancePack } from '../../src/reports/schemas.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { expectProblem, get } from '../helpers/fixtures.js';
import { PERIOD, buildDataset, type Dataset } from './dataset.js';
import { expectedPack, rounded } from './expected-pack.js';

let ctx: TestContext;
let data: Dataset;

beforeAll(async () => {
  ctx = await createTestContext();
  data = await buildDataset(ctx);
}, 120_000);
afterAll(() => ctx?.close());

const PACK_URL = `/v1/reports/governance?from=${PERIOD.from}&to=${PERIOD.to}&ackTarget=0.9&resolutionDaysTarget=30`;

describe('the governance board pack (JSON)', () => {
  it('matches the hand-computed figures exactly, every one', async () => {
    const res = await get<GovernancePack>(ctx.app, PACK_URL, data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const actual = { ...res.body, period: { ...res.body.period, generatedAt: 'GENERATED' } };
    expect(rounded(actual)).toEqual(rounded(expectedPack(data)));
    expect(Date.parse(res.body.period.generatedAt)).toBeGreaterThan(Date.parse('2026-01-01'));
  });

  it('is the same for senior managers and org admins, and a middle manager sees only their ward', async () => {
    const reference = (await get<GovernancePack>(ctx.app, PACK_URL, data.org.governance.token)).body;
    const strip = (pack: GovernancePack) => ({ ...pack, period: { ...pack.period, generatedAt: '' } });
    for (const token of [data.org.seniorManager.token, data.org.adminToken]) {
      const res = await get<GovernancePack>(ctx.app, PACK_URL, token);
      expect(res.status).toBe(200);
      expect(strip(res.body)).toEqual(strip(reference));
    }
    const mine = await get<GovernancePack>(ctx.app, PACK_URL, data.org.middleManager.token);
    expect(mine.status, mine.raw).toBe(200);
    expect(mine.body.scope.wards.map((w) => w.code)).toEqual(['W1']);
    const expected = expectedPack(data);
    expect(rounded(mine.body.fidelity.overall)).toEqual(
      rounded({
        ...expected.fidelity.wards[0],
        ward: undefined,
        notHeldReasons: expected.fidelity.wards[0]!.notHeldReasons,
      }),
    );
    expect(mine.body.items.overall.total).toEqual({ current: 11, previous: 2, change: 9 });
    // All escalations are on W1, so those figures do not change; W2's persistent thread goes.
    expect(rounded(mine.body.escalations)).toEqual(rounded(expected.escalations));
    expect(mine.body.persistentIssues.map((p) => p.threadId)).toEqual([data.items.p1, data.items.a3, data.items.a6]);
    // Ward-level priorities of other wards are not shown; organisation-wide ones are, counted on W1 only.
    expect(mine.body.priorities.map((p) => p.title)).toEqual(['Reduce equipment downtime']);
    // W1 alone: a1 a3 a5 a6 a7 a8 a9 a10 a11.
    expect(mine.body.alignment.items).toBe(9);
    // High + extreme (a1 a7 a9 resolved, a3 open) against low + moderate (a8 a10 resolved, a5 a6
    // a11 open): OR (3 x 3) / (1 x 2) = 4.5. Fisher's exact test by hand: with the margins fixed
    // (4 exposed, 5 reference; 5 resolved, 4 not; n = 9), exposedResolved = x has probability
    // C(4, x) C(5, 5 - x) / C(9, 5) = 1, 20, 60, 40, 5 (/ 126) for x = 0..4. Observed x = 3 (40);
    // the two-sided p sums the tables no more likely than it: (1 + 20 + 40 + 5) / 126 = 11 / 21.
    expect(mine.body.alignment.highRisk.table).toEqual({
      exposedResolved: 3,
      exposedUnresolved: 1,
      referenceResolved: 2,
      referenceUnresolved: 3,
    });
    expect(mine.body.alignment.highRisk.oddsRatio).toBeCloseTo(4.5, 12);
    expect(mine.body.alignment.highRisk.fisherP).toBeCloseTo(11 / 21, 12);
  });

  it('narrows to a ward or a division', async () => {
    const w2 = await get<GovernancePack>(ctx.app, `${PACK_URL}&wardId=${data.wards.W2.id}`, data.org.governance.token);
    expect(w2.status, w2.raw).toBe(200);
    expect(w2.body.scope).toMatchObject({ wardId: data.wards.W2.id, division: null });
    expect(w2.body.scope.wards.map((w) => w.code)).toEqual(['W2']);
    expect(w2.body.escalations.overall.opened).toBe(0);
    expect(w2.body.fidelity.overall.heldShare).toBe(0.25);
    expect(w2.body.priorities.map((p) => p.title)).toEqual([
      'Reduce equipment downtime',
      'Faster discharge from ward W2',
    ]);
    const surgery = await get<GovernancePack>(ctx.app, `${PACK_URL}&division=Surgery`, data.org.governance.token);
    expect(surgery.status, surgery.raw).toBe(200);
    expect(surgery.body.scope.wards.map((w) => w.code)).toEqual(['W3']);
    expect(surgery.body.priorities.map((p) => p.title)).toEqual(['Theatre list overruns', 'Reduce equipment downtime']);
    expect(surgery.body.fidelity.overall.notHeldReasons).toEqual([{ reason: '=1+2 <b>Short staffed</b>', count: 1 }]);
  });
});

describe('the pack as CSV', () => {
  it('is one tidy UTF-8 table with a BOM, carrying the JSON pack figure for figure, formulas neutralised', async () => {
    const json = await get<GovernancePack>(ctx.app, PACK_URL, data.org.governance.token);
    const asked = Date.now();
    const res = await ctx.app.inject({
      method: 'GET',
      url: `${PACK_URL}&format=csv`,
      headers: { authorization: `Bearer ${data.org.governance.token}` },
    });
    const answered = Date.now();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="governance-pack-2025-06-02-to-2025-06-29.csv"',
    );
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const text = res.rawPayload.toString('utf8');
    // Figures taken now carry the instant this CSV was made, to the second, in UK local time with
    // its offset. It is its own request, so it may fall in a later second than the JSON pack's.
    const generated = /,(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d),/.exec(text)?.[1];
    expect(generated).toBeDefined();
    const generatedMs = Date.parse(generated!);
    expect(generatedMs % 1000).toBe(0);
    expect(generatedMs).toBeGreaterThanOrEqual(Math.floor(asked / 1000) * 1000);
    expect(generatedMs).toBeLessThanOrEqual(answered);
    expect(generatedMs).toBeGreaterThanOrEqual(Math.floor(Date.parse(json.body.period.generatedAt) / 1000) * 1000);
    // The CSV is exactly the flattening of the (fully checked) JSON pack generated at the same moment.
    const sameMoment = { ...json.body, period: { ...json.body.period, generatedAt: generated! } };
    expect(text).toBe(renderPackCsv(sameMoment));
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]).toBe('metric,scope,period,value');
    expect(lines.at(-1)).toBe('');
    const rows = lines.slice(1, -1);
    // Hand-checked rows, each a figure of the expectations above.
    for (const row of [
      // As at the midnight after 29 June, written in BST (UTC+1) as people in England read it.
      'figures_as_at,all,2025-06-02/2025-06-29,2025-06-30T00:00:00+01:00',
      'working_days,all,2025-06-02/2025-06-29,60',
      'briefing_held_share,ward:W1,2025-06-02/2025-06-29,0.75',
      `not_held_reason,ward:W3;reason:1,2025-06-02/2025-06-29,'=1+2 <b>Short staffed</b>`,
      'items_raised,all,2025-06-02/2025-06-29,16',
      'items_raised,all,2025-05-05/2025-06-01,4',
      'items_raised_change,ward:W2;category:communication,2025-06-02/2025-06-29,-1',
      'ack_within_deadline_share,all,2025-06-02/2025-06-29,0.7142857142857143',
      'median_hours_to_acknowledge,all,2025-06-02/2025-06-29,1.25',
      `escalations_overdue_now,band:moderate,${generated},1`,
      'escalation_outcome,outcome:unresolved,2025-06-02/2025-06-29,4',
      'resolution_rate,alignment:aligned_for_change,2025-06-02/2025-06-29,0.6666666666666666',
      'median_days_to_resolution_km,band:extreme,2025-06-02/2025-06-29,20',
      'odds_ratio_of_resolution,comparison:high_risk,2025-06-02/2025-06-29,2',
      'persistent_issue_times_raised,issue:1;ward:W2;category:patient_flow,2025-06-02/2025-06-29,3',
      'spc_items_raised,all,2025-06-02/2025-06-08,9',
      'spc_items_raised_lower_process_limit,all,2025-06-02/2025-06-29,-5.753333333333334',
      'spc_ack_within_deadline_assurance,all,2025-06-02/2025-06-29,hit_and_miss',
    ]) {
      expect(rows, row).toContain(row);
    }
    // No cell starts with a formula character unless it is a plain negative number.
    for (const row of rows) {
      for (const cell of row.split(',')) {
        if (/^[=+\-@]/.test(cell)) expect(cell, row).toMatch(/^-\d+(\.\d+)?(e-?\d+)?$/);
      }
    }
  });
});

describe('the pack as HTML', () => {
  it('is one self-contained printable page with the figures, escaped, and inline SVG charts', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: `${PACK_URL}&format=html`,
      headers: { authorization: `Bearer ${data.org.governance.token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(4); // fidelity bars and three XmR charts
    expect(html).toContain('@media print');
    expect(html).toContain('@page { size: A4 landscape');
    expect(html).toContain('Barriers named by managers who disagree or need more information');
    expect(html).toMatch(/Disagreeing \(2\)[\s\S]*<th scope="row">funding<\/th><td class="n">2<\/td>/);
    // Nothing fetched from anywhere: no scripts, links, images, imports or URLs other than the SVG namespace.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    // Stored text is escaped, never markup.
    expect(html).not.toContain('<b>Short staffed</b>');
    expect(html).toContain('=1+2 &lt;b&gt;Short staffed&lt;/b&gt;');
    for (const figure of [
      '75.0%',
      '25.0%',
      '71.4%',
      '35.9% – 91.8%',
      '1.25',
      'Reached level 2',
      'Trial limits',
      'hit and miss',
      'consistently meet',
    ]) {
      expect(html, figure).toContain(figure);
    }
    expect(html).toContain('Still no working bladder scanner on the ward');
    expect(html).toContain('Review the controlled drugs key handover');
  });
});

describe('who may read it, and bad requests', () => {
  it('answers 403 to roles without report access and 404 outside reach', async () => {
    for (const token of [data.org.clinician.token, data.org.wards[0]!.deviceToken]) {
      expectProblem(await get(ctx.app, PACK_URL, token), 403);
    }
    expectProblem(await get(ctx.app, `${PACK_URL}&wardId=${data.wards.W2.id}`, data.org.middleManager.token), 404);
    expectProblem(await get(ctx.app, `${PACK_URL}&wardId=${data.wards.W1.id}`, data.other.governance.token), 404);
    expectProblem(await get(ctx.app, `${PACK_URL}&division=Cardiology`, data.org.governance.token), 404);
    expectProblem(await get(ctx.app, `${PACK_URL}&division=Surgery`, data.org.middleManager.token), 404);
    // The other trust's pack knows nothing of this one.
    const theirs = await get(ctx.app, PACK_URL, data.other.governance.token);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.overall.total).toEqual({ current: 1, previous: 0, change: 1 });
    expect(theirs.raw).not.toContain(data.wards.W1.id);
  });

  it.each([
    ['from after to', '/v1/reports/governance?from=2025-06-29&to=2025-06-02', 'querystring.to'],
    ['over two years', '/v1/reports/governance?from=2023-06-01&to=2025-06-01', 'querystring.to'],
    [
      'an unknown format',
      `/v1/reports/governance?from=${PERIOD.from}&to=${PERIOD.to}&format=pdf`,
      'querystring.format',
    ],
    ['a date that does not exist', '/v1/reports/governance?from=2025-02-30&to=2025-06-01', 'querystring.from'],
    ['a missing period', '/v1/reports/governance', 'querystring.from'],
    [
      'an unknown parameter',
      `/v1/reports/governance?from=${PERIOD.from}&to=${PERIOD.to}&colour=blue`,
      'querystring.colour',
    ],
    [
      'a target out of range',
      `/v1/reports/governance?from=${PERIOD.from}&to=${PERIOD.to}&ackTarget=1.5`,
      'querystring.ackTarget',
    ],
  ])('answers 400 problem+json for %s', async (_what, url, path) => {
    const body = expectProblem(await get(ctx.app, url, data.org.governance.token), 400);
    expect(body.errors?.map((e) => e.path)).toContain(path);
  });

  it('accepts exactly two years', async () => {
    expect(
      (await get(ctx.app, '/v1/reports/governance?from=2023-06-02&to=2025-06-01', data.org.governance.token)).status,
    ).toBe(200);
  });
});
