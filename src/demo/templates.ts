import type { ItemCategory, ItemKind } from '../domain/taxonomy.js';

/**
 * The demo's item mix: what a ward raises at its briefing, and how often. The demo seed
 * (src/demo/seed.ts) and the benchmark's data generator and capture requests
 * (bench/lib/demo-mix.ts) both draw from here, so benchmark data looks like the demo's (the demo
 * words half of the issues its own way, src/demo/wordings.ts, so it has more distinct issues).
 */

export interface ItemTemplate {
  kind: ItemKind;
  category: ItemCategory;
  description: string;
  /** Consequence and likelihood (1-5); null for good practice, which is not graded. */
  c: number | null;
  l: number | null;
}

export const ITEM_TEMPLATES: readonly ItemTemplate[] = [
  {
    kind: 'problem',
    category: 'staffing',
    description: 'Two registered nurses short on the late shift; bank request unfilled',
    c: 3,
    l: 4,
  },
  { kind: 'problem', category: 'equipment', description: 'Only one working bladder scanner for the ward', c: 2, l: 4 },
  { kind: 'problem', category: 'equipment', description: 'Infusion pump alarm fault reported again', c: 4, l: 3 },
  {
    kind: 'risk',
    category: 'medication',
    description: 'Controlled drugs cupboard key handover unclear at night',
    c: 4,
    l: 2,
  },
  {
    kind: 'problem',
    category: 'patient_flow',
    description: 'Discharges delayed waiting for pharmacy to dispense TTOs',
    c: 2,
    l: 5,
  },
  {
    kind: 'problem',
    category: 'it_information',
    description: 'E-observations tablets drop wifi in the side rooms',
    c: 3,
    l: 4,
  },
  {
    kind: 'risk',
    category: 'infection_prevention',
    description: 'Side rooms unavailable for isolation; two patients awaiting',
    c: 4,
    l: 4,
  },
  {
    kind: 'problem',
    category: 'communication',
    description: 'Medical handover started late; jobs list incomplete',
    c: 2,
    l: 3,
  },
  {
    kind: 'problem',
    category: 'diagnostics',
    description: 'CT reports taking over 24 hours for inpatients',
    c: 3,
    l: 3,
  },
  {
    kind: 'problem',
    category: 'estates_environment',
    description: 'Bay 2 toilet out of order for three days',
    c: 2,
    l: 3,
  },
  {
    kind: 'risk',
    category: 'clinical_process',
    description: 'Falls risk assessments not completed within 6 hours of admission',
    c: 4,
    l: 3,
  },
  { kind: 'problem', category: 'staffing', description: 'No phlebotomist cover at weekends', c: 2, l: 4 },
  {
    kind: 'risk',
    category: 'equipment',
    description: 'Resuscitation trolley check missed twice this week',
    c: 5,
    l: 2,
  },
  {
    kind: 'good_practice',
    category: 'communication',
    description: 'Safety huddle board updated and used by the whole team',
    c: null,
    l: null,
  },
  {
    kind: 'good_practice',
    category: 'clinical_process',
    description: 'Sepsis screening completed for every admission',
    c: null,
    l: null,
  },
];

/**
 * The demo's odds: a briefing is held; a graded item is fixed at the briefing; the team says a
 * graded item needs change.
 */
export const DEMO_ODDS = { held: 0.82, resolvedAtBriefing: 0.35, needsChange: 0.7 } as const;

/** Small deterministic PRNG (LCG): the demo looks the same on every machine, and the benchmark
 * sends the baseline and the service exactly the same request bodies. */
export function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A briefing held as the demo's wards hold them: facilitator, attendance, length, and `count`
 * items drawn from the mix with the demo's odds. `describe` may vary a template's words.
 */
export function heldBriefing(
  random: () => number,
  count: number,
  describe = (template: ItemTemplate) => template.description,
) {
  return {
    held: true as const,
    facilitator: 'Nurse in charge',
    attendance: {
      nursing: 3 + Math.floor(random() * 5),
      medical: Math.floor(random() * 3),
      allied: Math.floor(random() * 2),
      manager: random() < 0.5 ? 1 : 0,
      other: 0,
    },
    durationMinutes: 8 + Math.floor(random() * 8),
    items: Array.from({ length: count }, () => {
      const template = ITEM_TEMPLATES[Math.floor(random() * ITEM_TEMPLATES.length)]!;
      const item = { kind: template.kind, category: template.category, description: describe(template) };
      if (template.kind === 'good_practice') return item;
      return {
        ...item,
        consequence: template.c!,
        likelihood: template.l!,
        resolvedAtBriefing: random() < DEMO_ODDS.resolvedAtBriefing,
        needsChange: random() < DEMO_ODDS.needsChange,
      };
    }),
  };
}
