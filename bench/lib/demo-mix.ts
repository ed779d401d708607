/**
 * Capture request bodies drawn from the demo's item mix (src/demo/templates.ts, which the data
 * generator uses too), so benchmark traffic looks like the demo data.
 */
import { DEMO_ODDS, ITEM_TEMPLATES, prng } from '../../src/demo/templates.js';

/** Words added to some descriptions so repeats are similar, not identical (as typed by people). */
export const DESCRIPTION_SUFFIXES = ['in bay 1', 'in bay 3', 'on the night shift', 'again today', 'since Monday', 'escalated to the site team'];

export const ITEMS_PER_CAPTURE = 5;

/** The body of capture request `i`: a held briefing with five items drawn from the demo mix. */
export function captureBody(i: number, wardId: string, date: string) {
  const random = prng(i + 1);
  return {
    wardId,
    date,
    shift: 'day',
    held: true,
    facilitator: 'Nurse in charge',
    attendance: {
      nursing: 3 + Math.floor(random() * 5),
      medical: Math.floor(random() * 3),
      allied: Math.floor(random() * 2),
      manager: random() < 0.5 ? 1 : 0,
      other: 0,
    },
    durationMinutes: 8 + Math.floor(random() * 8),
    items: Array.from({ length: ITEMS_PER_CAPTURE }, () => {
      const t = ITEM_TEMPLATES[Math.floor(random() * ITEM_TEMPLATES.length)]!;
      const suffix = DESCRIPTION_SUFFIXES[Math.floor(random() * DESCRIPTION_SUFFIXES.length)]!;
      if (t.kind === 'good_practice') return { kind: t.kind, category: t.category, description: t.description };
      return {
        kind: t.kind,
        category: t.category,
        description: `${t.description} ${suffix}`,
        consequence: t.c!,
        likelihood: t.l!,
        resolvedAtBriefing: random() < DEMO_ODDS.resolvedAtBriefing,
        needsChange: random() < DEMO_ODDS.needsChange,
      };
    }),
  };
}
