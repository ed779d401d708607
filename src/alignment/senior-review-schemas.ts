import { z } from 'zod';
import { ALIGNMENT_STATES } from '../domain/alignment.js';
import { RISK_BANDS } from '../domain/risk.js';
import { REVIEW_REASONS, SENIOR_DECISIONS } from '../domain/senior-review.js';
import { ITEM_CATEGORIES } from '../domain/taxonomy.js';
import { freeText, isoDate, timestamp } from '../http/schemas.js';

const reason = freeText(2000);

export const seniorDecisionBody = z
  .discriminatedUnion('decision', [
    z.strictObject({
      decision: z.literal('adopt_as_qi_target'),
      priorityId: z.uuid().optional().describe('An existing priority of the organisation to link the issue to'),
      title: freeText(200).optional().describe('Or the title of a new organisation-wide priority'),
      reason: reason.optional(),
    }),
    z.strictObject({
      decision: z.literal('accept_risk'),
      reason,
      reviewDate: isoDate.describe('When the accepted risk comes back to senior review'),
    }),
    z.strictObject({ decision: z.literal('send_back'), reason }),
  ])
  .refine((b) => b.decision !== 'adopt_as_qi_target' || (b.priorityId === undefined) !== (b.title === undefined), {
    message: 'adopt_as_qi_target takes either priorityId or title',
    path: ['priorityId'],
  });
export type SeniorDecisionBody = z.output<typeof seniorDecisionBody>;

export const seniorDecisionSchema = z
  .object({
    id: z.uuid(),
    itemId: z.uuid(),
    threadId: z.uuid(),
    decision: z.enum(SENIOR_DECISIONS),
    priorityId: z.uuid().nullable(),
    reason: z.string().nullable(),
    reviewDate: isoDate.nullable(),
    sentBackTo: z.uuid().nullable().describe('send_back: the manager told (who holds the escalation now)'),
    decidedBy: z.uuid(),
    createdAt: timestamp,
  })
  .meta({ id: 'SeniorDecision' });

export const seniorReviewQueueSchema = z
  .object({
    data: z.array(
      z.object({
        itemId: z.uuid().describe("The thread's latest open raising, the item a decision is recorded on"),
        threadId: z.uuid(),
        ward: z.object({ id: z.uuid(), code: z.string(), name: z.string() }),
        description: z.string(),
        category: z.enum(ITEM_CATEGORIES),
        riskScore: z.number().int().nullable().describe('Highest risk score of the thread'),
        riskBand: z.enum(RISK_BANDS).nullable().describe('Band of the latest open raising'),
        alignment: z.enum(ALIGNMENT_STATES),
        raisedCount: z.number().int(),
        firstRaisedOn: isoDate,
        daysOpen: z.number().int(),
        reasons: z.array(z.enum(REVIEW_REASONS)),
      }),
    ),
    nextCursor: z.string().nullable().describe('The cursor of the next page; null on the last page'),
  })
  .meta({ id: 'SeniorReviewQueue' });
