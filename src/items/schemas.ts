import { z } from 'zod';
import { BARRIERS, HARM_LEVELS, ITEM_CATEGORIES, ITEM_KINDS, ITEM_STATUSES } from '../domain/taxonomy.js';
import { RISK_BANDS } from '../domain/risk.js';
import { ESCALATION_STATES, OUTCOMES, STANCES } from '../domain/escalation.js';
import { ALIGNMENT_STATES } from '../domain/alignment.js';
import { pageQuery } from '../http/pagination.js';
import { isoDate, timestamp } from '../http/schemas.js';

export const escalationSummarySchema = z
  .object({
    id: z.uuid(),
    state: z.enum(ESCALATION_STATES),
    level: z.number().int().describe('1 = first manager in the chain'),
    assignee: z.object({ id: z.uuid(), name: z.string() }),
    dueAt: timestamp,
    overdue: z.boolean(),
    managerPosition: z
      .object({
        stance: z.enum(STANCES),
        rationale: z.string().nullable(),
        barriers: z.array(z.enum(BARRIERS)).describe('What the manager named as standing in the way of the change'),
        barrierNote: z.string().nullable(),
        at: timestamp,
      })
      .nullable(),
    plannedActions: z.array(z.object({ description: z.string(), dueDate: isoDate })),
    outcome: z.enum(OUTCOMES).nullable(),
    outcomeNote: z.string().nullable(),
    resolvedAt: timestamp.nullable(),
  })
  .meta({ id: 'EscalationSummary' });

export const itemSchema = z
  .object({
    id: z.uuid(),
    briefingId: z.uuid(),
    wardId: z.uuid(),
    raisedOn: isoDate,
    kind: z.enum(ITEM_KINDS),
    category: z.enum(ITEM_CATEGORIES),
    description: z.string(),
    consequence: z.number().int().nullable(),
    likelihood: z.number().int().nullable(),
    riskScore: z.number().int().nullable().describe('consequence x likelihood on the NHS 5x5 matrix'),
    riskBand: z.enum(RISK_BANDS).nullable().describe("Band from the organisation's cut-offs"),
    harm: z.enum(HARM_LEVELS).nullable(),
    status: z.enum(ITEM_STATUSES),
    resolvedAtBriefing: z.boolean(),
    actionTaken: z.string().nullable(),
    needsChange: z.boolean().nullable().describe("The team's view: is change needed beyond the ward?"),
    clinicalPosition: z
      .object({ needsChange: z.boolean(), rationale: z.string().nullable(), at: timestamp.nullable() })
      .nullable(),
    managerialPosition: z.enum(STANCES).nullable().describe("The responsible manager's latest stance"),
    alignment: z.object({
      state: z.enum(ALIGNMENT_STATES),
      agreementReachedAt: timestamp.nullable().describe('When both sides first agreed'),
      priorityAligned: z.boolean().describe('Linked to an active organisational priority'),
    }),
    priorities: z.array(z.object({ id: z.uuid(), title: z.string(), active: z.boolean() })),
    recurrence: z.object({
      recurrenceOf: z.uuid().nullable().describe('The earlier item this one repeats'),
      source: z.enum(['named', 'detected']).nullable(),
      threadId: z.uuid().describe('The first item of the thread of repeats'),
      timesRaised: z.number().int(),
      firstRaisedOn: isoDate,
      daysOpen: z.number().int(),
    }),
    resolution: z.object({ note: z.string().nullable(), resolvedAt: timestamp }).nullable(),
    escalation: escalationSummarySchema.nullable().describe("The item's latest escalation, with the manager's answers"),
    createdAt: timestamp,
  })
  .meta({ id: 'Item' });

/** `GET /v1/items` query: filters, or the ranked persistent issues. */
export const itemListQuery = z.strictObject({
  wardId: z.uuid().optional(),
  status: z.enum(ITEM_STATUSES).optional(),
  band: z.enum(RISK_BANDS).optional(),
  category: z.enum(ITEM_CATEGORIES).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  persistent: z
    .enum(['true', 'false'])
    .optional()
    .describe(
      'true: persistent issues only (threads raised 3+ times or open over 14 days), one per thread, ' +
        'ranked by risk x (1 + ln(times raised)) x (1 + days open / 30); `rank` is set',
    ),
  ...pageQuery,
});
export type ItemListQuery = z.infer<typeof itemListQuery>;

/** An item in a list; `rank` is set for persistent issues. */
export const rankedItemSchema = itemSchema.extend({ rank: z.number().optional() });
