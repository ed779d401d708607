/**
 * Charts a board can trust, on the reports dataset (dataset.ts): limits drawn within what a
 * measure can take, round axis ticks, dates and "as at" times as people write them in UK time,
 * unfinished weeks left out, escalation columns that add up, and wards reading their own trends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, isoWeekStart, localDateOf } from '../../src/domain/calendar.js';
import type { GovernancePack } from '../../src/reports/schemas.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { expectProblem, get } from '../helpers/fixtures.js';
import { PERIOD, buildDataset, type Dataset } from './dataset.js';

let ctx: TestContext;
let data: Dataset;

beforeAll(async () => {
  ctx = await createTestContext();
  data = await buildDataset(ctx);
}, 120_000);
afterAll(() => ctx?.close());

const PACK_URL = `/v1/reports/governance?from=${PERIOD.from}&to=${PERIOD.to}&ackTarget=0.9&resolutionDaysTarget=30`;
const spcUrl = (metric: string, extra = '') =>
  `/v1/reports/spc?metric=${metric}&from=${PERIOD.from}&to=${PERIOD.to}${extra}`;

async function packHtml(query = ''): Promise<string> {
  const res = await ctx.app.inject({
    method: 'GET',
    url: `${PACK_URL}&format=html${query}`,
    headers: { authorization: `Bearer ${data.org.governance.token}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
}

/** The XmR chart whose accessible label starts with `title`. */
function chartSvg(html: string, title: string): string {
  const start = html.indexOf(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart spc" role="img" aria-label="${title}`,
  );
  expect(start, title).toBeGreaterThan(0);
  return html.slice(start, html.indexOf('</svg>', start));
}

const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
const processLimitLabels = (svg: string) =>
  [...svg.matchAll(/<line class="process-limit"[^>]*\/><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('the XmR charts of the printable pack', () => {
  it('draw a lower limit below zero at zero, and a share limit past 100% at 100%, while the figures keep the computed limits', async () => {
    const html = await packHtml();
    // Items raised 9, 3, 4, 0: mean 4, AMR 11/3, so UPL 4 + 2.66 x 11/3 = 13.75 and LPL -5.75, drawn at 0.
    expect(processLimitLabels(chartSvg(html, 'Items raised per week'))).toEqual(['UPL (trial) 13.8', 'LPL (trial) 0']);
    // Shares 0.5, 0, 1: mean 0.5, AMR 0.75, so limits 0.5 ± 1.995 = 2.495 and -1.495: drawn at 100% and 0%.
    expect(processLimitLabels(chartSvg(html, 'Escalations acknowledged within deadline'))).toEqual([
      'UPL (trial) 100.0%',
      'LPL (trial) 0.0%',
    ]);
    // Days 4, 0, 2, 15: mean 5.25, AMR 19/3, so LPL 5.25 - 16.85 = -11.60, drawn at 0.
    expect(processLimitLabels(chartSvg(html, 'Median days to resolution'))[1]).toBe('LPL (trial) 0');
    const json = await get<GovernancePack>(ctx.app, PACK_URL, data.org.governance.token);
    expect(json.body.spc.itemsRaised.lowerProcessLimit).toBeCloseTo(4 - 2.66 * (11 / 3), 10);
    expect(json.body.spc.ackWithinDeadline.upperProcessLimit).toBeCloseTo(2.495, 10);
  });

  it('tick the value axis at round numbers (1, 2 or 5 x 10^n steps)', async () => {
    const html = await packHtml();
    // 0 to 13.75 (plus 5%): a step of 5 gives at most five intervals.
    expect(texts(chartSvg(html, 'Items raised per week'), 'tick-label')).toEqual(['0', '5', '10', '15']);
    // A share from 0 to 1: steps of 20%.
    expect(texts(chartSvg(html, 'Escalations acknowledged within deadline'), 'tick-label')).toEqual([
      '0%',
      '20%',
      '40%',
      '60%',
      '80%',
      '100%',
    ]);
    // 0 to the target of 30 days (plus 5%, 31.5): steps of 10.
    expect(texts(chartSvg(html, 'Median days to resolution'), 'tick-label')).toEqual(['0', '10', '20', '30', '40']);
  });

  it('write week dates and the "as at" time as people write them, in UK time', async () => {
    const html = await packHtml();
    const items = chartSvg(html, 'Items raised per week');
    for (const week of ['2 Jun', '9 Jun', '16 Jun', '23 Jun']) expect(items).toContain(`font-size="9">${week}</text>`);
    expect(items).toContain('Week starting Monday (2025).');
    expect(items).toContain('<title>Week starting Monday 2 June 2025: 9</title>');
    expect(items).not.toMatch(/>06-\d\d</);
    // As at the midnight after 29 June (23:00 UTC in BST): the end of that day.
    expect(html).toContain('Figures as at the end of Sunday 29 June 2025;');
    expect(html).toMatch(/generated at \d\d:\d\d on \w+day \d{1,2} \w+ \d{4} \((GMT|BST)\)/);
    expect(html).not.toContain('2025-06-29T23:00:00.000Z');
  });
});

describe('an unfinished week', () => {
  it('is not charted: the current week, though inside the period, gives no point', async () => {
    const today = localDateOf(new Date());
    const monday = isoWeekStart(today);
    const from = addDays(monday, -14);
    const url = `/v1/reports/spc?metric=items_raised&from=${from}&to=${addDays(monday, 6)}`;
    const res = await get<{ points: { period: string }[] }>(ctx.app, url, data.org.governance.token);
    expect(res.status, res.raw).toBe(200);
    // The two weeks before this one are over; this week is still going on.
    expect(res.body.points.map((p) => p.period)).toEqual([from, addDays(monday, -7)]);
  });

  it('is not charted when the period ends before its week does', async () => {
    const res = await get<{ points: { period: string }[] }>(
      ctx.app,
      `/v1/reports/spc?metric=items_raised&from=${PERIOD.from}&to=2025-06-25`,
      data.org.governance.token,
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body.points.map((p) => p.period)).toEqual(['2025-06-02', '2025-06-09', '2025-06-16']);
  });
});

/** Every row of the pack's escalation tables: [row name, opened, the five mutually exclusive columns]. */
function escalationRows(html: string): { name: string; opened: number; parts: number[] }[] {
  const section = html.slice(html.indexOf('<h2>3. Escalations</h2>'), html.indexOf('<h2>4.'));
  const tables = [...section.matchAll(/<table>(.*?)<\/table>/gs)]
    .map((m) => m[1]!)
    .filter((t) => t.includes('>Opened<'));
  expect(tables).toHaveLength(2);
  return tables.flatMap((t) => {
    const headers = [...t.matchAll(/<th scope="col"[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers.slice(1, 7)).toEqual(['Opened', 'Ack in time', 'Late', 'Missed', 'Pending', 'Closed before ack']);
    return [...t.matchAll(/<tr><th scope="row">([^<]*)<\/th>(.*?)<\/tr>/g)].map((row) => {
      const cells = [...row[2]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => Number(m[1]));
      return { name: row[1]!, opened: cells[0]!, parts: cells.slice(1, 6) };
    });
  });
}

describe('the escalation table of the board pack', () => {
  it('puts every escalation opened in exactly one column, overall and per ward, by band and by level', async () => {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const overall = escalationRows(await packHtml());
    // 9 opened: 5 in time, 1 late, 1 missed, 1 pending and E4, which the ward resolved before anyone acknowledged it.
    expect(overall[0]).toEqual({ name: 'All escalations', opened: 9, parts: [5, 1, 1, 1, 1] });
    for (const row of overall) expect(sum(row.parts), row.name).toBe(row.opened);
    let openedAcrossWards = 0;
    for (const ward of [data.wards.W1, data.wards.W2, data.wards.W3]) {
      const rows = escalationRows(await packHtml(`&wardId=${ward.id}`));
      for (const row of rows) expect(sum(row.parts), `${ward.code} ${row.name}`).toBe(row.opened);
      openedAcrossWards += rows[0]!.opened;
      const json = await get<GovernancePack>(ctx.app, `${PACK_URL}&wardId=${ward.id}`, data.org.governance.token);
      for (const s of [
        json.body.escalations.overall,
        ...json.body.escalations.byBand,
        ...json.body.escalations.byLevel,
      ]) {
        expect(
          s.acknowledgedWithinDeadline +
            s.acknowledgedLate +
            s.missedDeadline +
            s.pending +
            s.closedWithoutAcknowledgement,
        ).toBe(s.opened);
      }
    }
    expect(openedAcrossWards).toBe(9);
  });
});

describe("a ward's own trends", () => {
  const wardTokens = () => [
    ['clinician', data.org.clinician.token],
    ['ward device', data.wards.W1.deviceToken],
  ];

  it("are read by the ward's clinicians and its device: the same charts and alignment figures as a manager sees of that ward", async () => {
    const strip = (body: { period: { generatedAt: string } }) => ({
      ...body,
      period: { ...body.period, generatedAt: '' },
    });
    const w1 = `&wardId=${data.wards.W1.id}`;
    const managerSpc = await get(ctx.app, spcUrl('items_raised', w1), data.org.governance.token);
    const alignmentUrl = `/v1/reports/alignment?from=${PERIOD.from}&to=${PERIOD.to}`;
    const managerAlignment = await get(ctx.app, `${alignmentUrl}${w1}`, data.org.governance.token);
    for (const [who, token] of wardTokens()) {
      const spc = await get<{ scope: { wards: { code: string }[]; wardId: string | null } }>(
        ctx.app,
        spcUrl('items_raised', w1),
        token!,
      );
      expect(spc.status, `${who}: ${spc.raw}`).toBe(200);
      expect(strip(spc.body as never), who).toEqual(strip(managerSpc.body as never));
      const alignment = await get(ctx.app, `${alignmentUrl}${w1}`, token!);
      expect(alignment.status, `${who}: ${alignment.raw}`).toBe(200);
      expect(strip(alignment.body as never), who).toEqual(strip(managerAlignment.body as never));
      // Without a ward: their own wards only.
      const mine = await get<{ scope: { wards: { code: string }[] } }>(ctx.app, spcUrl('days_to_resolution'), token!);
      expect(mine.status).toBe(200);
      expect(
        mine.body.scope.wards.map((w) => w.code),
        who,
      ).toEqual(['W1']);
    }
  });

  it('answer 404 for another ward, and the board pack stays with the managers', async () => {
    for (const [, token] of wardTokens()) {
      expectProblem(await get(ctx.app, spcUrl('items_raised', `&wardId=${data.wards.W2.id}`), token!), 404);
      expectProblem(
        await get(
          ctx.app,
          `/v1/reports/alignment?from=${PERIOD.from}&to=${PERIOD.to}&wardId=${data.wards.W3.id}`,
          token!,
        ),
        404,
      );
      expectProblem(await get(ctx.app, PACK_URL, token!), 403);
    }
    expectProblem(
      await get(ctx.app, spcUrl('items_raised', `&wardId=${data.wards.W1.id}`), data.other.governance.token),
      404,
    );
  });
});
