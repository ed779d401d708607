/**
 * Loads the shared reference figures (computed by statsmodels, scipy and NHSRplotthedots) that
 * the statistical domain functions are checked against. They live beside the clone, in
 * ../shared/reference/stats-vectors, on development machines and in CI alike.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/processes.js';

const VECTORS = 'shared/reference/stats-vectors';

/**
 * Beside this checkout; or, for a throw-away clone of a local checkout (`git clone . /tmp/x`),
 * beside the checkout it was cloned from.
 */
function vectorsDir(): string {
  const beside = path.resolve(REPO_ROOT, '..', VECTORS);
  if (existsSync(beside)) return beside;
  try {
    const origin = execFileSync('git', ['-C', REPO_ROOT, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim();
    const besideOrigin = path.resolve(origin, '..', VECTORS);
    if (path.isAbsolute(origin) && existsSync(besideOrigin)) return besideOrigin;
  } catch {
    // No git or no origin: the path beside the checkout is the one named in the error below.
  }
  return beside;
}

export const STATS_VECTORS_DIR = vectorsDir();

export function readVector(name: string): string {
  return readFileSync(path.join(STATS_VECTORS_DIR, name), 'utf8');
}

export function readJsonVector<T>(name: string): T {
  return JSON.parse(readVector(name)) as T;
}

/** Rows of a plain CSV (no quoted commas) as objects keyed by the header. */
export function readCsvVector(name: string): Record<string, string>[] {
  const [header, ...lines] = readVector(name).trim().split(/\r?\n/);
  const columns = (header ?? '').split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? '']));
  });
}

/** |actual - expected| within `relative` of |expected| (absolute `relative` when expected is 0). */
export function expectClose(actual: number, expected: number, relative: number, label: string): void {
  const scale = Math.max(Math.abs(expected), expected === 0 ? 1 : 0);
  const error = Math.abs(actual - expected);
  if (!(error <= relative * scale)) {
    throw new Error(`${label}: got ${actual}, expected ${expected} (relative error ${error / scale} > ${relative})`);
  }
}
