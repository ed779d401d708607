/** What both baselines read once at start: each ward's organisation, device token, bands and policy. */
import type pg from 'pg';

export interface BandThresholds {
  moderate: number;
  high: number;
  extreme: number;
}

export interface WardPolicy {
  levels: string[];
  ackWithinSeconds: Record<string, number>;
  repeatEverySeconds: number;
  maxRepeats: number;
  minBandToEscalate: string;
  categoryRoutes: Record<string, string>;
}

export interface WardSettings {
  organisationId: string;
  tokenId: string;
  thresholds: BandThresholds;
  policy: WardPolicy | null;
}

export interface ItemBody {
  kind: string;
  category: string;
  description: string;
  consequence?: number;
  likelihood?: number;
  harm?: string;
  resolvedAtBriefing?: boolean;
  actionTaken?: string;
  needsChange?: boolean;
  clinicalRationale?: string;
}

export interface BriefingBody {
  wardId: string;
  date: string;
  shift: string;
  held: boolean;
  notHeldReason?: string;
  facilitator?: string;
  attendance?: Record<string, number>;
  durationMinutes?: number;
  items: ItemBody[];
}

export async function loadWards(pool: pg.Pool): Promise<Map<string, WardSettings>> {
  const { rows } = await pool.query(`
    SELECT w.id, w.organisation_id, t.id AS token_id, o.band_thresholds, o.webhook_url IS NOT NULL AS webhook,
      p.levels, p.ack_within_seconds, p.repeat_every_seconds, p.max_repeats, p.min_band_to_escalate, p.category_routes
    FROM wards w JOIN organisations o ON o.id = w.organisation_id
    JOIN api_tokens t ON t.ward_id = w.id AND t.kind = 'ward_device'
    LEFT JOIN escalation_policies p ON p.ward_id = w.id`);
  const wards = new Map<string, WardSettings>();
  for (const row of rows) {
    // The equal-work baseline writes no webhook deliveries: the bench's organisations have none.
    if (row.webhook) throw new Error('the baselines expect organisations without a webhook');
    wards.set(row.id, {
      organisationId: row.organisation_id,
      tokenId: row.token_id,
      thresholds: row.band_thresholds,
      policy: row.levels
        ? {
            levels: row.levels,
            ackWithinSeconds: row.ack_within_seconds,
            repeatEverySeconds: row.repeat_every_seconds,
            maxRepeats: row.max_repeats,
            minBandToEscalate: row.min_band_to_escalate,
            categoryRoutes: row.category_routes,
          }
        : null,
    });
  }
  return wards;
}

const BANDS = ['low', 'moderate', 'high', 'extreme'];

export const band = (score: number, t: BandThresholds) =>
  score >= t.extreme ? 'extreme' : score >= t.high ? 'high' : score >= t.moderate ? 'moderate' : 'low';

export const bandAtLeast = (value: string, min: string) => BANDS.indexOf(value) >= BANDS.indexOf(min);
