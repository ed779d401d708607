import { z } from 'zod';
import { HARM_LEVELS, ITEM_CATEGORIES, ITEM_KINDS, SHIFTS } from '../domain/taxonomy.js';
import { itemSchema } from '../items/schemas.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import { freeText, isoDate, timestamp } from '../http/schemas.js';

export const TEXT_LIMITS = { description: 2000, actionTaken: 2000, notHeldReason: 500, facilitator: 200 } as const;
export const MAX_ITEMS_PER_BRIEFING = 100;
/** Items a briefing may hold with those added after it: ten full additions (positions are smallints). */
export const MAX_ITEMS_IN_BRIEFING = 1_000;

const grade = z.number().int().min(1).max(5);
const headcount = z.number().int().min(0).max(500);

export const newItemSchema = z.strictObject({
  kind: z.enum(ITEM_KINDS),
  category: z.enum(ITEM_CATEGORIES),
  description: freeText(TEXT_LIMITS.description),
  consequence: grade.optional().describe('1 negligible .. 5 catastrophic; required for problem and risk'),
  likelihood: grade.optional().describe('1 rare .. 5 almost certain; required for problem and risk'),
  harm: z.enum(HARM_LEVELS).optional(),
  resolvedAtBriefing: z.boolean().optional(),
  actionTaken: freeText(TEXT_LIMITS.actionTaken).optional(),
  needsChange: z.boolean().optional().describe("The team's view: does this need change beyond the ward?"),
  clinicalRationale: freeText(TEXT_LIMITS.actionTaken).optional(),
  recurrenceOf: z.uuid().optional().describe('An earlier item of this ward that this one repeats'),
});

export type NewItem = z.infer<typeof newItemSchema>;

/** Problems and risks must be graded; good practice need not be. */
function requireGrades(list: NewItem[], ctx: z.RefinementCtx) {
  list.forEach((item, index) => {
    if (item.kind === 'good_practice') return;
    for (const field of ['consequence', 'likelihood'] as const) {
      if (item[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['items', index, field], message: `is required for a ${item.kind}` });
      }
    }
  });
}

/** Items added to a briefing after it was recorded (`POST /v1/briefings/{id}/items`). */
export const newItemsSchema = z
  .strictObject({ items: z.array(newItemSchema).min(1).max(MAX_ITEMS_PER_BRIEFING) })
  .superRefine((body, ctx) => requireGrades(body.items, ctx));
export type NewItems = Pick<z.infer<typeof newItemsSchema>, 'items'>;

/** The earliest briefing date taken: older paper records are not what this service is for. */
export const EARLIEST_BRIEFING_DATE = '2000-01-01';

/**
 * A briefing's date: not before EARLIEST_BRIEFING_DATE, and not after tomorrow in the
 * service's time zone (a night briefing near midnight, a device whose clock runs ahead).
 */
const briefingDate = isoDate
  .refine((date) => date >= EARLIEST_BRIEFING_DATE, {
    message: `must not be before ${EARLIEST_BRIEFING_DATE}`,
    abort: true,
  })
  .refine((date) => date <= addDays(localDateOf(new Date()), 1), { message: 'must not be after tomorrow' })
  .describe(`The briefing's date (YYYY-MM-DD): from ${EARLIEST_BRIEFING_DATE} to tomorrow`);

export const newBriefingSchema = z
  .strictObject({
    wardId: z.uuid(),
    date: briefingDate,
    shift: z.enum(SHIFTS).default('day'),
    held: z.boolean().default(true),
    notHeldReason: freeText(TEXT_LIMITS.notHeldReason).optional(),
    facilitator: freeText(TEXT_LIMITS.facilitator).optional(),
    attendance: z
      .strictObject({
        nursing: headcount,
        medical: headcount,
        allied: headcount,
        manager: headcount,
        other: headcount,
      })
      .partial()
      .optional(),
    durationMinutes: z.number().int().min(0).max(240).optional(),
    items: z.array(newItemSchema).max(MAX_ITEMS_PER_BRIEFING).default([]),
  })
  .superRefine((briefing, ctx) => {
    if (!briefing.held && !briefing.notHeldReason) {
      ctx.addIssue({ code: 'custom', path: ['notHeldReason'], message: 'is required when the briefing was not held' });
    }
    if (!briefing.held && briefing.items.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'must be empty when the briefing was not held' });
    }
    if (briefing.held && briefing.notHeldReason) {
      ctx.addIssue({ code: 'custom', path: ['notHeldReason'], message: 'only applies when held is false' });
    }
    requireGrades(briefing.items, ctx);
  });

export type NewBriefing = z.infer<typeof newBriefingSchema>;

export const briefingSchema = z
  .object({
    id: z.uuid(),
    wardId: z.uuid(),
    date: isoDate,
    shift: z.enum(SHIFTS),
    held: z.boolean(),
    notHeldReason: z.string().nullable(),
    facilitator: z.string().nullable(),
    attendance: z.object({
      nursing: z.number().int().nullable(),
      medical: z.number().int().nullable(),
      allied: z.number().int().nullable(),
      manager: z.number().int().nullable(),
      other: z.number().int().nullable(),
    }),
    durationMinutes: z.number().int().nullable(),
    createdAt: timestamp,
    items: z.array(itemSchema),
  })
  .meta({ id: 'Briefing' });

export const briefingCreatedSchema = briefingSchema.extend({
  redactions: z
    .array(z.object({ path: z.string(), kinds: z.array(z.enum(['nhs_number', 'postcode', 'date_of_birth'])) }))
    .describe('Free-text fields from which identifiers were removed (organisations with the redact policy)'),
  unroutedItemIds: z
    .array(z.uuid())
    .describe('Items that qualify for escalation but wait for the ward to get an escalation policy'),
});

export const itemsAddedSchema = z
  .object({
    briefingId: z.uuid(),
    items: z.array(itemSchema),
    redactions: briefingCreatedSchema.shape.redactions,
    unroutedItemIds: briefingCreatedSchema.shape.unroutedItemIds,
  })
  .meta({ id: 'ItemsAdded' });
