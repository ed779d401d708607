import { z } from 'zod';

export const idParams = z.object({ id: z.uuid() });

/**
 * The range every date and time taken from a client must fall in. PostgreSQL refuses some
 * dates the ISO format allows (year 0), and none before the 20th century has a use here. The
 * upper end is the format's own, so dates stored by earlier versions still answer.
 */
export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '9999-12-31';
const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const LATEST_INSTANT = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);
const RANGE_MESSAGE = `must be between ${EARLIEST_DATE} and ${LATEST_DATE}`;

/** Calendar date as used by ward staff: YYYY-MM-DD, a real date, within the range above. */
export const isoDate = z.iso
  .date({ abort: true })
  .refine((date) => date >= EARLIEST_DATE && date <= LATEST_DATE, { message: RANGE_MESSAGE, abort: true });

/** An instant with its offset, within the range above once taken to UTC. */
export const timestamp = z.iso.datetime({ offset: true, abort: true }).refine(
  (text) => {
    const instant = Date.parse(text);
    return instant >= EARLIEST_INSTANT && instant <= LATEST_INSTANT;
  },
  { message: RANGE_MESSAGE, abort: true },
);

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
