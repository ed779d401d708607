/**
 * The equal-work baseline: exactly the rows POST /v1/briefings writes for the same briefing (the
 * briefing, its items, the team's first positions, escalations with their assignees, events,
 * first notifications and deadline timers in the outbox, and the audit events), in one
 * statement prepared once, and nothing else: no authentication, validation, identifier
 * screening, idempotency or repeat detection. What the service spends beyond this is the price
 * of those and of its own code, not of the rows it must write.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { band, bandAtLeast, type BriefingBody, type ItemBody, type WardSettings } from './wards.js';

/**
 * The outbox and the audit trail are read by every service process running beside the baseline
 * (the relay sends outbox rows to Redis, the sealer hashes and updates audit events). The
 * baseline's rows of those two go to copies of the tables (same columns, constraints and
 * indexes, so the same cost to write) that no service process reads: otherwise the service's
 * process would relay and seal the baseline's work, in the service's own measured runs.
 */
const SHADOWED: Record<string, string> = { outbox: 'equal_work_outbox', audit_events: 'equal_work_audit_events' };

/** Creates the copies of the shadowed tables, once per database. */
export async function prepareEqualWork(pool: pg.Pool) {
  for (const [table, copy] of Object.entries(SHADOWED)) {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${copy} (LIKE ${table} INCLUDING ALL)`);
  }
}

/** Each table's columns, in the order of the statement; each table's rows travel as one JSON parameter. */
const TABLES: [string, string][] = [
  [
    'briefings',
    'id, organisation_id, ward_id, date, shift, held, not_held_reason, facilitator, attendance_nursing, attendance_medical, ' +
      'attendance_allied, attendance_manager, attendance_other, duration_minutes, recorded_by_token_id, created_at',
  ],
  [
    'items',
    'id, organisation_id, ward_id, briefing_id, raised_on, position, kind, category, description, consequence, likelihood, ' +
      'risk_score, risk_band, harm, status, resolved_at_briefing, action_taken, needs_change, clinical_rationale, ' +
      'clinical_position_at, alignment, resolved_at, resolved_by_token_id, created_at',
  ],
  [
    'position_changes',
    'organisation_id, item_id, side, needs_change, rationale, alignment_after, actor_staff_id, actor_token_id, created_at',
  ],
  [
    'escalations',
    'id, organisation_id, ward_id, item_id, trigger, band, chain, state, level, assignee_staff_id, due_at, next_step_at, step, created_at',
  ],
  ['escalation_assignees', 'escalation_id, staff_id'],
  ['escalation_events', 'escalation_id, type, step, level, assignee_staff_id, actor_token_id, details, created_at'],
  ['notifications', 'id, organisation_id, recipient_staff_id, escalation_id, type, step, level, due_at, created_at'],
  ['outbox', 'queue, job_name, job_id, payload, run_at'],
  [
    'audit_events',
    'organisation_id, occurred_at, actor_type, actor_id, actor_role, entity_type, entity_id, action, changes, request_id',
  ],
];

const insertOf = ([table, columns]: [string, string], i: number) =>
  `INSERT INTO ${SHADOWED[table] ?? table} (${columns}) SELECT ${columns} FROM json_populate_recordset(null::${table}, $${i + 1}::json)`;

const STATEMENT =
  'WITH ' +
  TABLES.slice(0, -1)
    .map((table, i) => `w${i} AS (${insertOf(table, i)})`)
    .join(', ') +
  ' ' +
  insertOf(TABLES[TABLES.length - 1]!, TABLES.length - 1);

type Row = Record<string, unknown>;

interface Rows {
  briefing: Row;
  items: Row[];
  positions: Row[];
  escalations: Row[];
  assignees: Row[];
  events: Row[];
  notifications: Row[];
  outbox: Row[];
  audit: Row[];
}

function itemRow(item: ItemBody, position: number, briefing: Row, ward: WardSettings, now: string): Row {
  const graded = item.kind !== 'good_practice' && item.consequence && item.likelihood;
  const score = graded ? item.consequence! * item.likelihood! : null;
  const resolved = item.resolvedAtBriefing === true;
  return {
    id: randomUUID(),
    organisation_id: ward.organisationId,
    ward_id: briefing.ward_id,
    briefing_id: briefing.id,
    raised_on: briefing.date,
    position,
    kind: item.kind,
    category: item.category,
    description: item.description,
    consequence: item.consequence ?? null,
    likelihood: item.likelihood ?? null,
    risk_score: score,
    risk_band: score === null ? null : band(score, ward.thresholds),
    harm: item.harm ?? null,
    status: resolved || item.kind === 'good_practice' ? 'resolved' : 'open',
    resolved_at_briefing: resolved,
    action_taken: item.actionTaken ?? null,
    needs_change: item.needsChange ?? null,
    clinical_rationale: item.clinicalRationale ?? null,
    clinical_position_at: item.needsChange === undefined ? null : now,
    alignment: 'pending',
    resolved_at: resolved ? now : null,
    resolved_by_token_id: resolved ? ward.tokenId : null,
    created_at: now,
  };
}

function briefingRow(body: BriefingBody, ward: WardSettings, now: string): Row {
  const a = body.attendance ?? {};
  return {
    id: randomUUID(),
    organisation_id: ward.organisationId,
    ward_id: body.wardId,
    date: body.date,
    shift: body.shift,
    held: body.held,
    not_held_reason: body.notHeldReason ?? null,
    facilitator: body.facilitator ?? null,
    attendance_nursing: a.nursing ?? null,
    attendance_medical: a.medical ?? null,
    attendance_allied: a.allied ?? null,
    attendance_manager: a.manager ?? null,
    attendance_other: a.other ?? null,
    duration_minutes: body.durationMinutes ?? null,
    recorded_by_token_id: ward.tokenId,
    created_at: now,
  };
}

const audit = (
  ward: WardSettings,
  entityType: string,
  entityId: unknown,
  action: string,
  changes: Row,
  now: string,
) => ({
  organisation_id: ward.organisationId,
  occurred_at: now,
  actor_type: 'ward_device',
  actor_id: ward.tokenId,
  actor_role: 'ward_device',
  entity_type: entityType,
  entity_id: entityId,
  action,
  changes,
  request_id: null,
});

/** An escalation for an open item at or above the policy's band, with what comes with it. */
function escalate(rows: Rows, item: Row, ward: WardSettings, nowDate: Date, now: string) {
  const policy = ward.policy!;
  const levels = [...policy.levels];
  const routed = policy.categoryRoutes[item.category as string];
  if (routed) levels[0] = routed;
  const itemBand = item.risk_band as string;
  const ackWithinSeconds = policy.ackWithinSeconds[itemBand]!;
  const chain = {
    levels,
    ackWithinSeconds,
    repeatEverySeconds: policy.repeatEverySeconds,
    maxRepeats: policy.maxRepeats,
  };
  const id = randomUUID();
  const assignee = levels[0]!;
  const dueAt = new Date(nowDate.getTime() + ackWithinSeconds * 1000).toISOString();
  rows.escalations.push({
    id,
    organisation_id: ward.organisationId,
    ward_id: item.ward_id,
    item_id: item.id,
    trigger: 'automatic',
    band: itemBand,
    chain,
    state: 'open',
    level: 0,
    assignee_staff_id: assignee,
    due_at: dueAt,
    next_step_at: dueAt,
    step: 1,
    created_at: now,
  });
  rows.assignees.push({ escalation_id: id, staff_id: assignee });
  rows.events.push({
    escalation_id: id,
    type: 'started',
    step: 1,
    level: 0,
    assignee_staff_id: assignee,
    actor_token_id: ward.tokenId,
    details: { trigger: 'automatic', band: itemBand, dueAt },
    created_at: now,
  });
  rows.notifications.push({
    id: randomUUID(),
    organisation_id: ward.organisationId,
    recipient_staff_id: assignee,
    escalation_id: id,
    type: 'assigned',
    step: 1,
    level: 0,
    due_at: dueAt,
    created_at: now,
  });
  rows.outbox.push({
    queue: 'escalation-steps',
    job_name: 'escalation-step',
    job_id: `step-${id}-1`,
    payload: { escalationId: id, step: 1 },
    run_at: dueAt,
  });
  const changes = { itemId: item.id, trigger: 'automatic', band: itemBand, level: 1, assigneeStaffId: assignee, dueAt };
  rows.audit.push(audit(ward, 'escalation', id, 'started', { ...changes, reason: null, chain: levels }, now));
  return id;
}

function plan(body: BriefingBody, ward: WardSettings, nowDate: Date) {
  const now = nowDate.toISOString();
  const briefing = briefingRow(body, ward, now);
  const items = body.items.map((item, position) => itemRow(item, position, briefing, ward, now));
  const rows: Rows = {
    briefing,
    items,
    positions: [],
    escalations: [],
    assignees: [],
    events: [],
    notifications: [],
    outbox: [],
    audit: [],
  };
  const { held, shift, date } = body;
  rows.audit.push(
    audit(
      ward,
      'briefing',
      briefing.id,
      'recorded',
      { wardId: body.wardId, date, shift, held, items: items.length },
      now,
    ),
  );
  const escalationOf = items.map((item) => {
    const { kind, category, risk_score: riskScore, risk_band: riskBand, status, needs_change: needsChange } = item;
    const description = { text: 'redacted', length: (item.description as string).length };
    const changes = { briefingId: briefing.id, kind, category, description, riskScore, riskBand, status, needsChange };
    rows.audit.push(audit(ward, 'item', item.id, 'raised', changes, now));
    if (item.needs_change !== null) {
      rows.positions.push({
        organisation_id: ward.organisationId,
        item_id: item.id,
        side: 'clinical',
        needs_change: item.needs_change,
        rationale: item.clinical_rationale,
        alignment_after: item.alignment,
        actor_staff_id: null,
        actor_token_id: ward.tokenId,
        created_at: now,
      });
    }
    const policy = ward.policy;
    const candidate = policy && kind !== 'good_practice' && status === 'open' && riskBand !== null;
    return candidate && bandAtLeast(riskBand as string, policy.minBandToEscalate)
      ? escalate(rows, item, ward, nowDate, now)
      : null;
  });
  return { rows, escalationOf };
}

export function equalWorkHandler(pool: pg.Pool, wards: Map<string, WardSettings>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as BriefingBody;
    const ward = wards.get(body.wardId);
    if (!ward) return reply.status(404).send({ error: 'ward' });
    const { rows, escalationOf } = plan(body, ward, new Date());
    const r = rows;
    const values = [
      [r.briefing],
      r.items,
      r.positions,
      r.escalations,
      r.assignees,
      r.events,
      r.notifications,
      r.outbox,
      r.audit,
    ];
    try {
      await pool.query({ name: 'equal_work', text: STATEMENT, values: values.map((v) => JSON.stringify(v)) });
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      reply.status(409);
      return { error: 'duplicate' };
    }
    reply.status(201);
    return {
      id: r.briefing.id,
      createdAt: r.briefing.created_at,
      items: r.items.map((item, i) => ({ id: item.id, escalationId: escalationOf[i] })),
    };
  };
}
