/**
 * The ward's briefing pack printed by a real browser (Debian's headless Chromium, driven by
 * playwright-core, as in pack-browser.test.ts): for a typical ward it fits one A4 page, the most
 * urgent issues first, then "and N more". Skipped without /usr/bin/chromium on a developer
 * machine; FAILS under CI=true.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_LIMITS } from '../../src/briefing-pack/html.js';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { startApiTest } from '../helpers/api-setup.js';
import type { TestContext } from '../helpers/context.js';
import { briefingBody, get, post, type Organisation } from '../helpers/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';

let ctx: TestContext;
let org: Organisation;
let browser: Browser;
let origin: string;

/** Pages of a PDF Chromium wrote: its page objects, and the count its page tree declares. */
function pdfPages(pdf: Buffer): { objects: number; declared: number[] } {
  const text = pdf.toString('latin1');
  return {
    objects: (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length,
    declared: [...text.matchAll(/\/Type\s*\/Pages\b[^>]*?\/Count\s+(\d+)/g)].map((m) => Number(m[1])),
  };
}

const SENTENCE =
  'reported at handover by the nurse in charge, affects the whole bay and has been raised with the matron twice this month';

/** A ward issue as the staff word it: a line of text, with its risk. */
const issue = (n: number, category: string, consequence: number, likelihood: number) => ({
  kind: 'problem',
  category,
  description: `Issue ${n}: ${category.replace('_', ' ')} problem ${SENTENCE}`,
  consequence,
  likelihood,
  needsChange: true,
});

describe.skipIf(!available && !mustRun)("the ward's briefing pack, printed", () => {
  const today = localDateOf(new Date());
  const yesterday = addDays(today, -1);
  let wardId: string;
  let deviceToken: string;

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (CI=true requires it)`);
    ({ ctx, org } = await startApiTest({
      policy: (o) => ({
        levels: [{ staffId: o.middleManager.id }, { staffId: o.seniorManager.id }],
        ackWithinSeconds: { moderate: 1 },
      }),
    }));
    ({ id: wardId, deviceToken } = org.wards[0]!);
    // A typical ward: 18 issues raised at yesterday's briefing across the categories and bands.
    const categories = ['staffing', 'equipment', 'medication', 'communication', 'patient_flow', 'it_information'];
    const risks: [number, number][] = [
      [5, 4],
      [4, 4],
      [4, 3],
      [3, 3],
      [2, 3],
      [3, 2],
    ];
    const items = Array.from({ length: 18 }, (_, n) => issue(n + 1, categories[n % 6]!, ...risks[n % 6]!));
    const first = await post(ctx.app, '/v1/briefings', deviceToken, briefingBody(wardId, { date: yesterday, items }));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const raised = first.body.items as { id: string; escalation: { id: string } | null }[];
    const m = org.middleManager.token;
    const escalated = raised.filter((i) => i.escalation !== null);
    expect(escalated.length).toBeGreaterThanOrEqual(12);
    // The manager answers eight, each with a reason and three planned actions, and resolves five others.
    for (const { escalation } of escalated.slice(0, 8)) {
      const e = escalation!.id;
      await post(ctx.app, `/v1/escalations/${e}/acknowledge`, m, {});
      await post(ctx.app, `/v1/escalations/${e}/position`, m, { stance: 'agree', rationale: `Agreed: ${SENTENCE}` });
      for (const step of ['Order replacement', 'Review at the safety huddle', 'Report back to the ward'])
        await post(ctx.app, `/v1/escalations/${e}/actions`, m, { description: step, dueDate: addDays(today, 14) });
    }
    for (const { escalation } of escalated.slice(8, 13)) {
      const e = escalation!.id;
      await post(ctx.app, `/v1/escalations/${e}/acknowledge`, m, {});
      const res = await post(ctx.app, `/v1/escalations/${e}/resolve`, m, {
        outcome: 'fixed',
        note: `Done: ${SENTENCE}`,
      });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }
    for (const title of ['Safer equipment', 'Reliable staffing', 'Timely discharge']) {
      const priority = await post(ctx.app, '/v1/priorities', org.adminToken, {
        title,
        level: 'ward',
        wardId,
        ownerStaffId: org.seniorManager.id,
      });
      await post(ctx.app, `/v1/items/${raised[0]!.id}/priorities`, deviceToken, { priorityId: priority.body.id });
    }
    // The moderate escalations nobody acknowledged (1 s deadline) go overdue.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  it('fits one A4 page: the most urgent issues first, then "and N more"', { timeout: 60_000 }, async () => {
    const pack = await get(ctx.app, `/v1/wards/${wardId}/briefing-pack?date=${today}`, deviceToken);
    expect(pack.status).toBe(200);
    expect(pack.body.openItems.length).toBe(13);
    expect(pack.body.resolvedSincePreviousBriefing.length).toBe(5);
    expect(pack.body.overdueEscalations.length).toBeGreaterThan(0);

    const page = await (
      await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${deviceToken}` } })
    ).newPage();
    const response = await page.goto(`${origin}/v1/wards/${wardId}/briefing-pack?date=${today}&format=html`);
    expect(response?.status()).toBe(200);
    const text = await page.locator('body').innerText();
    expect(text).toContain(`and ${13 - PAGE_LIMITS.openItems} more open issues`);
    expect(text).toContain(`and ${5 - PAGE_LIMITS.resolved} more resolved`);
    expect(text).toContain('(and 2 more actions)');
    // Most urgent first: an overdue escalation before the rest, then the higher band.
    const firstRow = await page.locator('h2:has-text("Still open") + table tr').nth(1).innerText({ timeout: 5_000 });
    expect(firstRow).toContain('overdue');

    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', path: `${ARTIFACTS}briefing-pack.pdf` });
    expect(pdfPages(pdf)).toEqual({ objects: 1, declared: [1] });
  });

  it('counts pages as Chromium printed them (a pack that does not fit gives more than one)', async () => {
    const page = await browser.newPage();
    await page.setContent(`<p style="height: 400mm">tall</p><p>end</p>`);
    expect(pdfPages(await page.pdf({ format: 'A4' })).objects).toBe(2);
  });
});
