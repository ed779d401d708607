/**
 * The bare baseline: the briefing and item rows of POST /v1/briefings, with `pg` in one
 * transaction (BEGIN, two INSERTs, COMMIT), and nothing else: no authentication, validation,
 * identifier screening, idempotency, repeat detection, escalation, outbox or audit.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { band, type BriefingBody, type WardSettings } from './wards.js';

const ITEM_COLUMNS = 18;

function briefingValues(body: BriefingBody, ward: WardSettings) {
  const a = body.attendance ?? {};
  return [
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
  ];
}

/** The items as one multi-row VALUES list: its placeholders and its values. */
function itemValues(body: BriefingBody, ward: WardSettings, briefingId: string, now: Date) {
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
    const base = position * ITEM_COLUMNS;
    return `(${Array.from({ length: ITEM_COLUMNS }, (_, k) => `$${base + k + 1}`).join(', ')})`;
  });
  return { tuples, values };
}

export function bareHandler(pool: pg.Pool, wards: Map<string, WardSettings>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as BriefingBody;
    const ward = wards.get(body.wardId);
    if (!ward) return reply.status(404).send({ error: 'ward' });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const briefing = await client.query(
        `INSERT INTO briefings (organisation_id, ward_id, date, shift, held, facilitator, attendance_nursing, attendance_medical,
           attendance_allied, attendance_manager, attendance_other, duration_minutes, recorded_by_token_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (ward_id, date, shift) DO NOTHING RETURNING id`,
        briefingValues(body, ward),
      );
      const briefingId = briefing.rows[0]?.id as string | undefined;
      if (!briefingId) {
        await client.query('ROLLBACK');
        // The answer as the handler's value: a returned reply is a thenable, awaited inside try.
        reply.status(409);
        return { error: 'duplicate' };
      }
      const now = new Date();
      const { tuples, values } = itemValues(body, ward, briefingId, now);
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
  };
}
