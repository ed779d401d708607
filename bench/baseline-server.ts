/**
 * The baseline for the capture benchmark: the bare minimum that stores a briefing. A plain
 * Fastify route that writes the same briefing and item rows as POST /v1/briefings, with `pg` in one
 * transaction (same pool size as the service), and nothing else: no authentication, validation,
 * identifier screening, idempotency, repeat detection, escalation, outbox or audit.
 *
 *   DATABASE_URL=... PORT=... node --import tsx bench/baseline-server.ts
 */
import Fastify from 'fastify';
import pg from 'pg';

interface ItemBody {
  kind: string;
  category: string;
  description: string;
  consequence?: number;
  likelihood?: number;
  resolvedAtBriefing?: boolean;
  needsChange?: boolean;
}
interface BriefingBody {
  wardId: string;
  date: string;
  shift: string;
  held: boolean;
  facilitator?: string;
  attendance?: Record<string, number>;
  durationMinutes?: number;
  items: ItemBody[];
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const wards = new Map<
  string,
  { organisationId: string; tokenId: string; thresholds: { moderate: number; high: number; extreme: number } }
>();
for (const row of (
  await pool.query(`
    SELECT w.id, w.organisation_id, t.id AS token_id, o.band_thresholds
    FROM wards w JOIN organisations o ON o.id = w.organisation_id
    JOIN api_tokens t ON t.ward_id = w.id AND t.kind = 'ward_device'`)
).rows) {
  wards.set(row.id, { organisationId: row.organisation_id, tokenId: row.token_id, thresholds: row.band_thresholds });
}

const band = (score: number, t: { moderate: number; high: number; extreme: number }) =>
  score >= t.extreme ? 'extreme' : score >= t.high ? 'high' : score >= t.moderate ? 'moderate' : 'low';

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/v1/briefings', async (request, reply) => {
  const body = request.body as BriefingBody;
  const ward = wards.get(body.wardId);
  if (!ward) return reply.status(404).send({ error: 'ward' });
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const a = body.attendance ?? {};
    const briefing = await client.query(
      `INSERT INTO briefings (organisation_id, ward_id, date, shift, held, facilitator, attendance_nursing, attendance_medical,
         attendance_allied, attendance_manager, attendance_other, duration_minutes, recorded_by_token_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (ward_id, date, shift) DO NOTHING RETURNING id`,
      [
        ward.organisationId,
        body.wardId,
        body.date,
        body.shift,
        body.held,
        body.facilitator ?? null,
        a.nursing ?? null,
        a.medical ?? null,
        a.allied ?? null,
        a.manager ?? null,
        a.other ?? null,
        body.durationMinutes ?? null,
        ward.tokenId,
      ],
    );
    const briefingId = briefing.rows[0]?.id as string | undefined;
    if (!briefingId) {
      await client.query('ROLLBACK');
      // The answer as the handler's value: a returned reply is a thenable, awaited inside try.
      reply.status(409);
      return { error: 'duplicate' };
    }
    const now = new Date();
    const columns = 18;
    const values: unknown[] = [];
    const tuples = body.items.map((item, position) => {
      const graded = item.kind !== 'good_practice';
      const score = graded ? item.consequence! * item.likelihood! : null;
      const resolved = item.resolvedAtBriefing === true || !graded;
      values.push(
        ward.organisationId,
        body.wardId,
        briefingId,
        body.date,
        position,
        item.kind,
        item.category,
        item.description,
        item.consequence ?? null,
        item.likelihood ?? null,
        score,
        score === null ? null : band(score, ward.thresholds),
        resolved ? 'resolved' : 'open',
        item.resolvedAtBriefing === true,
        item.resolvedAtBriefing === true ? now : null,
        item.resolvedAtBriefing === true ? ward.tokenId : null,
        item.needsChange ?? null,
        item.needsChange === undefined ? null : now,
      );
      const base = position * columns;
      return `(${Array.from({ length: columns }, (_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    const inserted = tuples.length
      ? await client.query(
          `INSERT INTO items (organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description, consequence,
             likelihood, risk_score, risk_band, status, resolved_at_briefing, resolved_at, resolved_by_token_id, needs_change,
             clinical_position_at)
           VALUES ${tuples.join(', ')} RETURNING id`,
          values,
        )
      : { rows: [] };
    await client.query('COMMIT');
    reply.status(201);
    return { id: briefingId, createdAt: now.toISOString(), items: inserted.rows.map((r) => r.id as string) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3901) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}
