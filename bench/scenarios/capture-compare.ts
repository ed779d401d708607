/** The capture runs summarised per concurrency: medians over rounds of each server, and their ratios. */
import { median, ratio } from '../lib/stats.js';
import type { CannonRun, ServerName } from './capture.js';

export interface ServerFigures {
  throughput: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  databaseCpuMsPerRequest: number;
  rowsInsertedPerRequest: number;
}

export interface CaptureComparison {
  connections: number;
  service: ServerFigures;
  bare: ServerFigures;
  equalWork: ServerFigures;
  reference?: ServerFigures;
  /** The service's throughput over the bare and the equal-work baseline's. */
  throughputRatio: number;
  throughputRatioEqualWork: number;
  /** The service's p99 over the bare baseline's, and over the equal-work one's. */
  p99Ratio: number;
  p99RatioEqualWork: number;
  /** The service over the reference build: throughput, and CPU per request. */
  throughputRatioReference?: number;
  cpuRatioReference?: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function figures(runs: CannonRun[], server: ServerName, c: number): ServerFigures | undefined {
  const mine = runs.filter((r) => r.server === server && r.connections === c);
  if (mine.length === 0) return undefined;
  return {
    throughput: round1(median(mine.map((r) => r.throughput))),
    p50: round1(median(mine.map((r) => r.latencyMs.p50))),
    p99: round1(median(mine.map((r) => r.latencyMs.p99))),
    cpuMsPerRequest: Math.round(median(mine.map((r) => r.serverCpuMsPerRequest)) * 1000) / 1000,
    databaseCpuMsPerRequest: Math.round(median(mine.map((r) => r.databaseCpuMsPerRequest)) * 1000) / 1000,
    rowsInsertedPerRequest: round1(median(mine.map((r) => r.rowsInsertedPerRequest))),
  };
}

export function compare(runs: CannonRun[], connections: number[]): CaptureComparison[] {
  return connections.map((c): CaptureComparison => {
    const service = figures(runs, 'service', c)!;
    const bare = figures(runs, 'bare', c)!;
    const equalWork = figures(runs, 'equal-work', c)!;
    const reference = figures(runs, 'reference', c);
    return {
      connections: c,
      service,
      bare,
      equalWork,
      throughputRatio: ratio(service.throughput, bare.throughput),
      throughputRatioEqualWork: ratio(service.throughput, equalWork.throughput),
      p99Ratio: ratio(service.p99, bare.p99),
      p99RatioEqualWork: ratio(service.p99, equalWork.p99),
      ...(reference
        ? {
            reference,
            throughputRatioReference: ratio(service.throughput, reference.throughput),
            cpuRatioReference: ratio(service.cpuMsPerRequest, reference.cpuMsPerRequest),
          }
        : {}),
    };
  });
}
