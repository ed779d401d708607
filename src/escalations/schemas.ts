import { z } from 'zod';
import { ESCALATION_STATES, MANAGER_OUTCOMES, OUTCOMES, STANCES, type EscalationAction } from '../domain/escalation.js';
import { RISK_BANDS } from '../domain/risk.js';
import { BARRIERS, ITEM_CATEGORIES, ITEM_KINDS } from '../domain/taxonomy.js';
import { freeText, isoDate, timestamp } from '../http/schemas.js';

const seconds = z
  .number()
  .int()
  .min(1)
  .max(30 * 24 * 3_600);

export const policyInputSchema = z.strictObject({
  levels: z
    .array(z.strictObject({ staffId: z.uuid() }))
    .min(1)
    .max(5)
    .describe('The chain, first manager first; each a middle or senior manager'),
  ackWithinSeconds: z
    .strictObject({ extreme: seconds, high: seconds, moderate: seconds, low: seconds })
    .partial()
    .optional()
    .describe('Acknowledge deadline by risk band; defaults 1 h, 4 h, 24 h, 72 h'),
  repeatEverySeconds: seconds.optional().describe('Reminder interval at the last level; default 4 h'),
  maxRepeats: z.number().int().min(0).max(50).optional().describe('Reminders at the last level; default 3'),
  minBandToEscalate: z.enum(RISK_BANDS).optional().describe('Lowest band escalated automatically; default moderate'),
  categoryRoutes: z
    .partialRecord(z.enum(ITEM_CATEGORIES), z.uuid())
    .optional()
    .describe('A manager who replaces level 1 for items of that category'),
});

export const policySchema = z
  .object({
    wardId: z.uuid(),
    levels: z.array(z.object({ staffId: z.uuid() })),
    ackWithinSeconds: z.object({ extreme: z.number(), high: z.number(), moderate: z.number(), low: z.number() }),
    repeatEverySeconds: z.number().int(),
    maxRepeats: z.number().int(),
    minBandToEscalate: z.enum(RISK_BANDS),
    categoryRoutes: z.partialRecord(z.enum(ITEM_CATEGORIES), z.uuid()),
    needsAttention: z
      .array(
        z.object({
          path: z.string().describe('Where the policy names them, e.g. levels.1.staffId or categoryRoutes.equipment'),
          staffId: z.uuid(),
          reason: z.enum(['deactivated']),
        }),
      )
      .describe(
        'People the policy names who have been deactivated. New escalations skip them until an org admin saves the policy without them; empty when nothing needs attention.',
      ),
    updatedAt: timestamp,
  })
  .meta({ id: 'EscalationPolicy' });

/** The pending timer, so an organisation sees its escalations' timers without the queue board. */
export const nextStepSchema = z
  .object({
    kind: z
      .enum(['climb', 'reminder', 'none'])
      .describe(
        'climb: the next level is engaged; reminder: the last level, or a manager who acknowledged and has not responded, is reminded; none: nothing is pending',
      ),
    level: z.number().int().nullable().describe('The level engaged (climb) or reminded (reminder)'),
    dueAt: timestamp.nullable().describe('When the step is due; it never acts before'),
  })
  .meta({ id: 'EscalationNextStep' });

const itemBrief = z.object({
  id: z.uuid(),
  kind: z.enum(ITEM_KINDS),
  category: z.enum(ITEM_CATEGORIES),
  description: z.string(),
  riskScore: z.number().int().nullable(),
  raisedOn: isoDate,
});

/** How often the escalation's thread of repeats has been raised, and since when. */
const threadFields = {
  threadId: z.uuid().describe('The first item of the thread of repeats the escalation is for'),
  raisedCount: z.number().int().describe('How often the issue has been raised (every item of its thread)'),
  firstRaisedOn: isoDate.describe('When the issue was first raised'),
};

export const inboxEntrySchema = z
  .object({
    id: z.uuid(),
    state: z.enum(ESCALATION_STATES),
    band: z.enum(RISK_BANDS),
    level: z.number().int(),
    levels: z.number().int(),
    dueAt: timestamp,
    overdue: z.boolean(),
    nextStep: nextStepSchema,
    ward: z.object({ id: z.uuid(), code: z.string(), name: z.string() }),
    item: itemBrief,
    clinicalPosition: z.object({ needsChange: z.boolean().nullable() }),
    managerPosition: z.enum(STANCES).nullable(),
    cover: z
      .object({ forStaffId: z.uuid(), name: z.string() })
      .nullable()
      .describe('Set when the escalation is in my inbox because I cover its assignee today'),
    ...threadFields,
    createdAt: timestamp,
  })
  .meta({ id: 'InboxEntry' });

const person = z.object({ id: z.uuid(), name: z.string() });

export const escalationSchema = z
  .object({
    id: z.uuid(),
    state: z.enum(ESCALATION_STATES),
    trigger: z.enum(['automatic', 'manual']),
    reason: z.string().nullable(),
    band: z.enum(RISK_BANDS),
    level: z.number().int(),
    chain: z.array(z.object({ level: z.number().int(), staffId: z.uuid(), name: z.string().nullable() })),
    ackWithinSeconds: z.number().int(),
    assignee: person,
    dueAt: timestamp,
    overdue: z.boolean(),
    nextStepAt: timestamp.nullable().describe('When the timer next runs (it may then do nothing: see nextStep)'),
    nextStep: nextStepSchema,
    snoozedUntil: timestamp.nullable(),
    acknowledgedAt: timestamp.nullable(),
    managerPosition: z
      .object({
        stance: z.enum(STANCES),
        rationale: z.string().nullable(),
        barriers: z.array(z.enum(BARRIERS)).describe('What the manager said stands in the way of the change'),
        barrierNote: z.string().nullable(),
        at: timestamp,
      })
      .nullable(),
    clinicalPosition: z.object({ needsChange: z.boolean().nullable() }),
    outcome: z.enum(OUTCOMES).nullable(),
    outcomeNote: z.string().nullable(),
    resolvedAt: timestamp.nullable(),
    item: itemBrief.extend({
      wardId: z.uuid(),
      riskBand: z.enum(RISK_BANDS).nullable(),
      status: z.enum(['open', 'resolved']),
    }),
    plannedActions: z.array(z.object({ description: z.string(), dueDate: isoDate, createdAt: timestamp })),
    ...threadFields,
    mergedInto: z.uuid().nullable().describe('Outcome merged: the open escalation of the same thread it joined'),
    earlierEscalations: z
      .array(
        z.object({
          id: z.uuid(),
          state: z.enum(ESCALATION_STATES),
          outcome: z.enum(OUTCOMES).nullable(),
          createdAt: timestamp,
          resolvedAt: timestamp.nullable(),
        }),
      )
      .describe("The thread's escalations opened before this one, oldest first"),
    history: z.array(
      z.object({
        at: timestamp,
        type: z.string(),
        level: z.number().int(),
        assignee: person,
        actor: person.nullable(),
        onBehalfOf: person.nullable().describe('The manager a deputy acted for while covering them'),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    createdAt: timestamp,
  })
  .meta({ id: 'Escalation' });

/** Free text of a manager's answer, or of a reason to escalate. */
export const escalationText = freeText(2000);
const text = escalationText;

/** The body each manager action takes. */
export const ACTION_BODIES = {
  acknowledge: z.strictObject({}).optional(),
  position: z.strictObject({
    stance: z.enum(STANCES),
    rationale: text,
    barriers: z
      .array(z.enum(BARRIERS))
      .max(BARRIERS.length)
      .optional()
      .describe('What stands in the way of the change (each named once); none when omitted'),
    barrierNote: text.optional().describe("The barriers in the manager's words"),
  }),
  actions: z.strictObject({ description: text, dueDate: isoDate }),
  resolve: z
    .strictObject({ outcome: z.enum(MANAGER_OUTCOMES), note: text })
    .meta({ examples: [{ outcome: 'fixed', note: 'Replacement ordered and fitted' }] }),
  reassign: z.strictObject({ staffId: z.uuid(), reason: text }),
  escalate: z.strictObject({ reason: text }),
  snooze: z.strictObject({ until: timestamp, reason: text }),
  comment: z.strictObject({ text }),
} satisfies Record<EscalationAction, z.ZodType>;

/** The parsed body of each action (acknowledge's is optional and carries nothing). */
export type ActionBodies = { [A in EscalationAction]: z.output<(typeof ACTION_BODIES)[A]> };
