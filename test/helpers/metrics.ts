import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from 'parse-prometheus-text-format';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';

/**
 * A scrape of GET /metrics, parsed with a Prometheus text-format parser. The parser reads a
 * histogram as prom2json does, which keeps one series per family only: labelled histograms (one
 * series per route and status) are therefore read a second time with their TYPE line set to
 * untyped, so their _bucket, _sum and _count samples keep their labels.
 */
export class Scraped {
  private constructor(
    readonly families: PrometheusFamily[],
    private readonly flat: Map<string, PrometheusSample[]>,
  ) {}

  static parse(text: string) {
    const flat = new Map<string, PrometheusSample[]>();
    const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
    for (const family of parsePrometheusTextFormat(untyped))
      flat.set(family.name, [...(flat.get(family.name) ?? []), ...family.metrics]);
    return new Scraped(parsePrometheusTextFormat(text), flat);
  }

  family(name: string): PrometheusFamily {
    const found = this.families.find((f) => f.name === name);
    expect(found, `${name} is exported`).toBeDefined();
    return found!;
  }

  /** The samples named `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): PrometheusSample[] {
    const samples = this.flat.get(name);
    expect(samples, `${name} is exported`).toBeDefined();
    return samples!.filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value));
  }

  /** A counter's or gauge's value (the sum over samples matching `labels`). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((total, sample) => total + Number(sample.value), 0);
  }

  /** A histogram's observation count, sum and cumulative buckets, over its series matching `labels`. */
  histogram(name: string, labels: Record<string, string> = {}) {
    const buckets: Record<string, number> = {};
    for (const sample of this.samples(`${name}_bucket`, labels)) {
      const le = sample.labels?.le ?? '';
      buckets[le] = (buckets[le] ?? 0) + Number(sample.value);
    }
    return { count: this.value(`${name}_count`, labels), sum: this.value(`${name}_sum`, labels), buckets };
  }
}

export async function scrapeApp(app: App, token: string): Promise<Scraped> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return Scraped.parse(response.body);
}
