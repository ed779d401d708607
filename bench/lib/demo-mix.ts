/**
 * Capture request bodies drawn from the demo's item mix (src/demo/templates.ts, which the data
 * generator uses too), so benchmark traffic looks like the demo data.
 */
import { heldBriefing, prng, type ItemTemplate } from '../../src/demo/templates.js';

/** Words added to some descriptions so repeats are similar, not identical (as typed by people). */
export const DESCRIPTION_SUFFIXES = [
  'in bay 1',
  'in bay 3',
  'on the night shift',
  'again today',
  'since Monday',
  'escalated to the site team',
];

export const ITEMS_PER_CAPTURE = 5;

/** The body of capture request `i`: a held briefing with five items drawn from the demo mix. */
export function captureBody(i: number, wardId: string, date: string) {
  const random = prng(i + 1);
  const vary = (template: ItemTemplate) =>
    `${template.description} ${DESCRIPTION_SUFFIXES[Math.floor(random() * DESCRIPTION_SUFFIXES.length)]!}`;
  return { wardId, date, shift: 'day', ...heldBriefing(random, ITEMS_PER_CAPTURE, vary) };
}
