/**
 * The printable pack in a real browser: Debian's headless Chromium (driven by playwright-core)
 * loads it from the running service, with the service's own security headers (CSP), and must
 * render it without console errors, without asking for anything but the page, with its SVG
 * charts drawn. A screenshot and a printed PDF are saved under test/artifacts/ (gitignored).
 *
 * Without /usr/bin/chromium the test is skipped on a developer machine and FAILS under CI=true
 * (.ci/run installs Debian's chromium first).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { PERIOD, buildDataset, type Dataset } from './dataset.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true';

describe.skipIf(!available && !mustRun)('the printable board pack in headless Chromium', () => {
  let ctx: TestContext;
  let data: Dataset;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (CI=true requires it)`);
    ctx = await createTestContext();
    data = await buildDataset(ctx);
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  it('renders with no console errors, no outside requests, and its charts drawn; saves a screenshot and a PDF', async () => {
    const page = await (
      await browser.newContext({
        extraHTTPHeaders: { authorization: `Bearer ${data.org.governance.token}` },
        viewport: { width: 1400, height: 1000 },
      })
    ).newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`requestfailed: ${request.url()}`));
    await page.route('**/*', async (route) => {
      requests.push(route.request().url());
      // Only the page itself may be fetched; anything else would be an outside request.
      if (route.request().url().startsWith(origin)) await route.continue();
      else await route.abort();
    });

    const url = `${origin}/v1/reports/governance?from=${PERIOD.from}&to=${PERIOD.to}&format=html&ackTarget=0.9`;
    const response = await page.goto(url, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

    await expect.poll(() => page.locator('svg').count()).toBe(4);
    for (const svg of await page.locator('svg.chart').all()) {
      const box = await svg.boundingBox();
      expect(box?.width).toBeGreaterThan(300);
      expect(box?.height).toBeGreaterThan(60);
    }
    expect(await page.locator('svg.spc circle').count()).toBe(4 + 3 + 4);
    expect(await page.locator('h2').allTextContents()).toEqual([
      '1. Briefing fidelity',
      '2. Items raised',
      '3. Escalations',
      '4. Does agreement or risk predict resolution?',
      '5. Persistent issues and priorities',
      '6. Statistical process control (XmR, weekly)',
    ]);
    await expect.poll(() => page.locator('body').innerText()).toContain('=1+2 <b>Short staffed</b>');
    expect(await page.locator('b', { hasText: 'Short staffed' }).count()).toBe(0);

    await page.screenshot({ path: `${ARTIFACTS}governance-pack.png`, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: `${ARTIFACTS}governance-pack.pdf`, preferCSSPageSize: true, printBackground: true });

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    expect(statSync(`${ARTIFACTS}governance-pack.png`).size).toBeGreaterThan(20_000);
    expect(statSync(`${ARTIFACTS}governance-pack.pdf`).size).toBeGreaterThan(20_000);
  });
});
