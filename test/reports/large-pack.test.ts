/**
 * A year's board pack of a trust five times the large-trust scale (200 wards: about 146,000
 * briefings, 300,000 items, 169,000 escalations and 700,000 escalation events), downloaded in
 * every format from the service as deployed: the compiled build, run with `npm start`'s Node
 * options (the heap limit, --max-old-space-size=256). The data are generated in SQL by the
 * bench's generator (bench/lib/generate.ts), without the notifications and position changes no
 * report reads. A probe preloaded into the process (peak-memory-probe.mjs) reports the heap's
 * peak and the process's peak resident memory after each download.
 */
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { generate, periodFor, tokenFor, type GeneratedPeriod, type Scale } from '../../bench/lib/generate.js';
import { cloneTestDatabase } from '../helpers/database-clone.js';
import { buildImageLayout, startNodeArgs, type ImageLayout } from '../helpers/image-layout.js';
import { REPO_ROOT, freePort, spawnService, waitHealthy, type ChildHandle } from '../helpers/processes.js';

const FIVE_LARGE_TRUSTS: Scale = { name: 'five-times-large-trust', trusts: 1, wardsPerTrust: 200, days: 365 };
const MB = 1024 * 1024;
/**
 * The heap stays well inside its 256 MB limit on the way: the pack holds grouped figures, not the
 * year (holding the year's rows would take several times the limit). Peaks measured 110-135 MB
 * from one run to the next, as the collector runs when it will, so the bound leaves room for that.
 */
const PEAK_HEAP_BOUND = 160 * MB;
/** Nor may the process grow by more than this beyond what it reached while starting. */
const RSS_GROWTH_BOUND = 96 * MB;

interface Peak {
  peakHeapUsed: number;
  heapUsed: number;
  heapLimit: number;
  rss: number;
  maxRss: number;
}

let clone: { url: string; drop(): Promise<void> };
let layout: ImageLayout;
let service: ChildHandle;
let port: number;
let period: GeneratedPeriod;
let token: string;
let counts: { escalations: number; items: number };

/** Asks the probe for the peaks since it was last asked (it writes one PEAK line per SIGUSR2). */
async function peak(): Promise<Peak> {
  const before = service.stderr().split('PEAK ').length;
  service.child.kill('SIGUSR2');
  for (let tries = 0; tries < 200; tries++) {
    const parts = service.stderr().split('PEAK ');
    if (parts.length > before) return JSON.parse(parts.at(-1)!.split('\n')[0]!) as Peak;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no PEAK line from the service:\n${service.stderr().slice(-2000)}`);
}

function download(format: string): Promise<{ status: number; type: string; bytes: number; head: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: '127.0.0.1',
          port,
          path: `/v1/reports/governance?from=${period.from}&to=${period.to}&format=${format}`,
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          let bytes = 0;
          let head = '';
          res.on('data', (chunk: Buffer) => {
            if (head.length < 200) head += chunk.toString('utf8');
            bytes += chunk.length;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), bytes, head }),
          );
        },
      )
      .on('error', reject);
  });
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

beforeAll(async () => {
  const started = performance.now();
  clone = await cloneTestDatabase();
  const client = new pg.Client({ connectionString: clone.url });
  await client.connect();
  try {
    period = periodFor(FIVE_LARGE_TRUSTS);
    const generated = await generate(client, FIVE_LARGE_TRUSTS, period, () => undefined, { reportsOnly: true });
    counts = generated.counts;
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM staff WHERE role = 'governance'`);
    token = tokenFor(rows[0]!.id);
    console.info(
      `generated ${counts.items} items, ${counts.escalations} escalations in ${generated.seconds.toFixed(0)} s`,
    );
  } finally {
    await client.end();
  }
  layout = await buildImageLayout();
  port = await freePort();
  service = spawnService({
    cwd: layout.dir,
    entry: 'compiled',
    nodeArgs: [...(await startNodeArgs()), '--import', path.join(REPO_ROOT, 'test/reports/peak-memory-probe.mjs')],
    env: {
      DATABASE_URL: clone.url,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: `test-pack-${process.pid}`,
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_TOKEN: 'test-platform-admin-token-0123456789',
      PORT: String(port),
      ROLE: 'api',
    },
  });
  await waitHealthy(service, port, 60_000);
  console.info(`ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}, 600_000);

afterAll(async () => {
  await service?.kill('SIGTERM').catch(() => service.kill('SIGKILL'));
  await layout?.remove();
  await clone?.drop();
});

describe('the board pack of a trust five times the large-trust scale', () => {
  it('downloads in every format within the heap limit, holding grouped figures rather than the year', async () => {
    expect(counts.escalations).toBeGreaterThan(150_000);
    expect(await startNodeArgs()).toContain('--max-old-space-size=256');
    const idle = await peak();
    expect(idle.heapLimit).toBeLessThan(512 * MB);
    const lines = [`idle: heap ${mb(idle.heapUsed)}, peak ${mb(idle.peakHeapUsed)}; peak RSS ${mb(idle.maxRss)}`];
    for (const [format, type] of [
      ['json', 'application/json'],
      ['csv', 'text/csv'],
      ['html', 'text/html'],
    ] as const) {
      const started = performance.now();
      const res = await download(format);
      const seconds = (performance.now() - started) / 1000;
      expect(res.status, res.head).toBe(200);
      expect(res.type).toContain(type);
      expect(res.bytes).toBeGreaterThan(100_000);
      const after = await peak();
      lines.push(
        `${format}: ${(res.bytes / 1024).toFixed(0)} KiB in ${seconds.toFixed(1)} s; heap peak ${mb(after.peakHeapUsed)}, ` +
          `peak RSS ${mb(after.maxRss)}`,
      );
      expect(service.isRunning(), service.stderr().slice(-2000)).toBe(true);
      expect(after.peakHeapUsed, format).toBeLessThan(PEAK_HEAP_BOUND);
      expect(after.maxRss - idle.maxRss, format).toBeLessThan(RSS_GROWTH_BOUND);
    }
    console.info(lines.join('\n'));
  }, 300_000);
});
