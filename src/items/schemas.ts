import { z } from 'zod';
import { HARM_LEVELS, ITEM_CATEGORIES, ITEM_KINDS, ITEM_STATUSES } from '../domain/taxonomy.js';
import { RISK_BANDS } from '../domain/risk.js';
import { isoDate, timestamp } from '../http/schemas.js';

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
    resolution: z.object({ note: z.string().nullable(), resolvedAt: timestamp }).nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Item' });
