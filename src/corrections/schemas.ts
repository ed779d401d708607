import { z } from 'zod';
import { TEXT_LIMITS } from '../briefings/schemas.js';
import { REDACTABLE_FIELDS, RELATED_REDACTABLE_FIELDS } from '../domain/correction.js';
import { HARM_LEVELS, ITEM_CATEGORIES } from '../domain/taxonomy.js';
import { freeText, timestamp } from '../http/schemas.js';
import { itemSchema } from '../items/schemas.js';

export const REASON_LIMIT = 500;
const reason = freeText(REASON_LIMIT).describe('Why the record is corrected (kept with the correction)');
const grade = z.number().int().min(1).max(5);

export const AMENDABLE_FIELDS = ['kind', 'category', 'description', 'consequence', 'likelihood', 'harm'] as const;

export const amendItemSchema = z
  .strictObject({
    kind: z.enum(['problem', 'risk']).optional().describe('Good practice stays good practice: void it instead'),
    category: z.enum(ITEM_CATEGORIES).optional(),
    description: freeText(TEXT_LIMITS.description).optional(),
    consequence: grade.optional(),
    likelihood: grade.optional(),
    harm: z.enum(HARM_LEVELS).nullable().optional(),
    reason,
  })
  .refine((body) => AMENDABLE_FIELDS.some((field) => body[field] !== undefined), {
    message: `must change at least one of ${AMENDABLE_FIELDS.join(', ')}`,
    path: [],
  })
  .meta({
    examples: [{ consequence: 4, likelihood: 4, reason: 'Graded as minor by mistake: two falls this week' }],
  });
export type AmendItem = z.infer<typeof amendItemSchema>;

export const ESCALATION_EFFECTS = ['shorten', 'close', 'rebanded', 'start', 'joined', 'unrouted', 'none'] as const;

export const correctedItemSchema = itemSchema
  .extend({
    correction: z.object({
      id: z.uuid(),
      escalation: z
        .enum(ESCALATION_EFFECTS)
        .describe(
          "What the new band did to the item's escalation: shorten (deadline brought forward), close " +
            '(downgraded below the ward minimum before anyone acknowledged), rebanded, start, joined (a ' +
            "repeat that now qualifies joined its thread's open escalation), unrouted " +
            '(it qualifies but the ward has no policy), none',
        ),
    }),
  })
  .meta({ id: 'CorrectedItem' });

export const voidItemSchema = z.strictObject({ reason });

export const voidedItemSchema = z
  .object({
    id: z.uuid(),
    voidedAt: timestamp,
    correctionId: z.uuid(),
    closedEscalationId: z.uuid().nullable().describe('The open escalation closed with the outcome voided'),
  })
  .meta({ id: 'VoidedItem' });

const managerText = freeText(2000);

export const redactItemSchema = z
  .strictObject({
    fields: z
      .strictObject({
        description: freeText(TEXT_LIMITS.description).optional(),
        actionTaken: freeText(TEXT_LIMITS.actionTaken).optional(),
        clinicalRationale: freeText(TEXT_LIMITS.actionTaken).optional(),
        resolutionNote: freeText(TEXT_LIMITS.actionTaken).optional(),
        managerRationale: managerText.optional().describe("The rationale of every manager's position on the item"),
        barrierNote: managerText.optional().describe("The barrier note of every manager's position on the item"),
        seniorDecisionReason: managerText.optional().describe('The reason of every senior decision on the item'),
        plannedActions: managerText.optional().describe("Every planned action on the item's escalations"),
        comments: managerText.optional().describe("Every comment on the item's escalations"),
        escalationReasons: managerText
          .optional()
          .describe(
            'The reason of every hand escalation of the item, and of every reassignment, escalation, snooze ' +
              'and take-over of its escalations',
          ),
        correctionReasons: freeText(REASON_LIMIT)
          .optional()
          .describe('The reason of every earlier correction of the item'),
      })
      .refine((fields) => Object.keys(fields).length > 0, { message: 'must name at least one field' })
      .describe(
        "Each field to redact, with the text that replaces it: the item's own text, and what managers " +
          'and senior managers wrote about it (every copy of that kind is replaced by the one text given)',
      ),
    reason,
  })
  .meta({
    examples: [
      {
        fields: { description: 'Patient in bay 3 fell twice overnight' },
        reason: "The description named the patient and gave a relative's phone number",
      },
    ],
  });
export type RedactItem = z.infer<typeof redactItemSchema>;

export const redactedItemSchema = z
  .object({
    id: z.uuid(),
    fields: z.array(z.enum([...REDACTABLE_FIELDS, ...RELATED_REDACTABLE_FIELDS])),
    correctionId: z.uuid(),
    copies: z
      .object({
        positions: z
          .number()
          .int()
          .describe("Positions that held the old text: the team's rationale, or a manager's rationale or barrier note"),
        escalations: z
          .number()
          .int()
          .describe(
            "Escalations that held it: the outcome note, the manager's rationale or barrier note, or the reason " +
              'it was started by hand',
          ),
        seniorDecisions: z.number().int().describe('Senior decisions whose reason was replaced'),
        plannedActions: z.number().int().describe('Planned actions replaced'),
        escalationEvents: z.number().int().describe('Escalation history events whose comment or reason was replaced'),
        corrections: z.number().int().describe('Earlier corrections whose reason was replaced'),
        storedAnswers: z.number().int().describe('Stored Idempotency-Key answers that held the old text'),
      })
      .describe('Copies of the old text replaced beside the item'),
  })
  .meta({ id: 'RedactedItem' });

export const correctionSchema = z
  .object({
    id: z.uuid(),
    action: z.enum(['amended', 'voided', 'redacted']),
    changes: z.record(z.string(), z.unknown()).describe('Grades and codes as {from, to}; free text by field name'),
    reason: z.string(),
    actor: z.object({ staffId: z.uuid().nullable(), tokenId: z.uuid() }),
    at: timestamp,
  })
  .meta({ id: 'ItemCorrection' });
