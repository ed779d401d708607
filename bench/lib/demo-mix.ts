/**
 * The demo's item mix (src/demo/seed.ts, ITEM_TEMPLATES): kind, category, consequence and
 * likelihood of each template, drawn uniformly. The generator and the capture requests both use
 * it, so generated history and benchmark traffic look like the demo data. Keep in step with the
 * demo if its templates change.
 */
import type { ItemCategory, ItemKind } from '../../src/domain/taxonomy.js';

export interface Template {
  kind: ItemKind;
  category: ItemCategory;
  description: string;
  c: number | null;
  l: number | null;
}

export const DEMO_TEMPLATES: readonly Template[] = [
  { kind: 'problem', category: 'staffing', description: 'Two registered nurses short on the late shift; bank request unfilled', c: 3, l: 4 },
  { kind: 'problem', category: 'equipment', description: 'Only one working bladder scanner for the ward', c: 2, l: 4 },
  { kind: 'problem', category: 'equipment', description: 'Infusion pump alarm fault reported again', c: 4, l: 3 },
  { kind: 'risk', category: 'medication', description: 'Controlled drugs cupboard key handover unclear at night', c: 4, l: 2 },
  { kind: 'problem', category: 'patient_flow', description: 'Discharges delayed waiting for pharmacy to dispense TTOs', c: 2, l: 5 },
  { kind: 'problem', category: 'it_information', description: 'E-observations tablets drop wifi in the side rooms', c: 3, l: 4 },
  { kind: 'risk', category: 'infection_prevention', description: 'Side rooms unavailable for isolation; two patients awaiting', c: 4, l: 4 },
  { kind: 'problem', category: 'communication', description: 'Medical handover started late; jobs list incomplete', c: 2, l: 3 },
  { kind: 'problem', category: 'diagnostics', description: 'CT reports taking over 24 hours for inpatients', c: 3, l: 3 },
  { kind: 'problem', category: 'estates_environment', description: 'Bay 2 toilet out of order for three days', c: 2, l: 3 },
  { kind: 'risk', category: 'clinical_process', description: 'Falls risk assessments not completed within 6 hours of admission', c: 4, l: 3 },
  { kind: 'problem', category: 'staffing', description: 'No phlebotomist cover at weekends', c: 2, l: 4 },
  { kind: 'risk', category: 'equipment', description: 'Resuscitation trolley check missed twice this week', c: 5, l: 2 },
  { kind: 'good_practice', category: 'communication', description: 'Safety huddle board updated and used by the whole team', c: null, l: null },
  { kind: 'good_practice', category: 'clinical_process', description: 'Sepsis screening completed for every admission', c: null, l: null },
];

/** Words added to some descriptions so repeats are similar, not identical (as typed by people). */
export const DESCRIPTION_SUFFIXES = ['in bay 1', 'in bay 3', 'on the night shift', 'again today', 'since Monday', 'escalated to the site team'];

/** The demo's odds: unresolved-at-briefing and the team's view on graded items. */
export const DEMO_ODDS = { held: 0.82, resolvedAtBriefing: 0.35, needsChange: 0.7 } as const;

/** Small deterministic PRNG (LCG), so baseline and service get exactly the same request bodies. */
export function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

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
      const t = DEMO_TEMPLATES[Math.floor(random() * DEMO_TEMPLATES.length)]!;
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
