import { z } from 'zod';

export const idParams = z.object({ id: z.uuid() });

/** Calendar date as used by ward staff: YYYY-MM-DD, and a real date. */
export const isoDate = z.iso.date();

export const timestamp = z.iso.datetime({ offset: true });

/** Bounded free text: trimmed, non-empty, and no longer than the documented maximum. */
export const freeText = (max: number) => z.string().trim().min(1).max(max);

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** The error answers every authenticated route can give; routes add their own. */
export const commonErrors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
} as const;
