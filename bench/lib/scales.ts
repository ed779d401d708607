/** The scales the bench generates, the period they cover, and how bench tokens are made. */
export interface Scale {
  name: string;
  trusts: number;
  wardsPerTrust: number;
  days: number;
}

export const SCALES: Record<string, Scale> = {
  'large-trust': { name: 'large-trust', trusts: 1, wardsPerTrust: 40, days: 365 },
  region: { name: 'region', trusts: 20, wardsPerTrust: 40, days: 365 },
};

export const CLINICIANS_PER_WARD = 10;
export const WARDS_PER_MATRON = 5;
/** Bench tokens are derived from row ids, so the bench knows them without storing them. */
export const tokenFor = (id: string) => `wsb_bench_${id}`;

export interface GeneratedPeriod {
  from: string;
  to: string;
}

export function periodFor(scale: Scale, today = new Date()): GeneratedPeriod {
  const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - 7 * 86_400_000);
  const start = new Date(end.getTime() - (scale.days - 1) * 86_400_000);
  return { from: start.toISOString().slice(0, 10), to: end.toISOString().slice(0, 10) };
}
