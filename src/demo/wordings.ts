import { ITEM_TEMPLATES, type ItemTemplate } from './templates.js';

/**
 * How the demo's wards put their issues: each graded issue of the shared mix (templates.ts) in its
 * own words half the time, and otherwise as one of two other issues of the same kind and
 * category, some graded differently. Every wording is unlike the others of its category, so each
 * is its own thread of repeats on a ward: the demo has many issues, and the same ones come back.
 * Only the demo uses these; the benchmark keeps the shared mix as it is.
 */
interface Wording {
  description: string;
  /** Consequence and likelihood, when the ward grades this wording differently from the template. */
  c?: number;
  l?: number;
}

const OTHER_WORDINGS: Record<string, [Wording, Wording]> = {
  'Two registered nurses short on the late shift; bank request unfilled': [
    { description: 'Night shift ran one registered nurse below the safe staffing level' },
    { description: 'No healthcare assistant for the enhanced observation bay', c: 3, l: 3 },
  ],
  'Only one working bladder scanner for the ward': [
    { description: 'Blood glucose meter failed quality control twice', c: 2, l: 3 },
    { description: 'Pressure-relieving mattresses not delivered within four hours', c: 3, l: 3 },
  ],
  'Infusion pump alarm fault reported again': [
    { description: 'Not enough volumetric pumps, so antibiotic doses are given late', c: 4, l: 4 },
    { description: 'Syringe driver lock boxes missing from the store', c: 4, l: 2 },
  ],
  'Controlled drugs cupboard key handover unclear at night': [
    { description: 'Insulin prescriptions transcribed by hand during the e-prescribing outage', c: 4, l: 3 },
    { description: 'Drug fridge temperature above range on three mornings', c: 2, l: 3 },
  ],
  'Discharges delayed waiting for pharmacy to dispense TTOs': [
    { description: 'Patients boarded in the corridor overnight while waiting for a bed', c: 4, l: 4 },
    { description: 'Hospital transport booked for discharge did not arrive', c: 2, l: 3 },
  ],
  'E-observations tablets drop wifi in the side rooms': [
    { description: 'Wristband printer out of order; labels written by hand', c: 3, l: 3 },
    { description: 'Electronic record slow to load results during the ward round', c: 2, l: 3 },
  ],
  'Side rooms unavailable for isolation; two patients awaiting': [
    { description: 'No FFP3 masks in the sizes our staff are fit-tested for' },
    { description: 'Hand gel dispensers empty at the bay entrances', c: 2, l: 3 },
  ],
  'Medical handover started late; jobs list incomplete': [
    { description: 'Bleep holder not answering for the night team', c: 3, l: 3 },
    { description: 'Safety huddle missed because the bed meeting overran', c: 2, l: 2 },
  ],
  'CT reports taking over 24 hours for inpatients': [
    { description: 'Blood samples rejected by the laboratory as unlabelled', c: 3, l: 2 },
    { description: 'No ECG machine available on the ward overnight', c: 4, l: 4 },
  ],
  'Bay 2 toilet out of order for three days': [
    { description: 'Leak from the ceiling above bed 12 after heavy rain', c: 3, l: 3 },
    { description: 'Ward over 28 degrees in the afternoons; no working fans', c: 2, l: 4 },
  ],
  'Falls risk assessments not completed within 6 hours of admission': [
    { description: 'Fluid balance charts not totalled at midnight', c: 3, l: 3 },
    { description: 'Sepsis screening tool not used for patients transferred from ED', c: 4, l: 4 },
  ],
  'No phlebotomist cover at weekends': [
    { description: 'Physiotherapy cover cut to mornings only', c: 2, l: 3 },
    { description: 'Agency nurses without access to the electronic record', c: 3, l: 3 },
  ],
  'Resuscitation trolley check missed twice this week': [
    { description: 'Defibrillator on the resuscitation trolley failed its daily test', c: 5, l: 3 },
    { description: 'Suction unit at bed 4 not working', c: 4, l: 3 },
  ],
};

/** Every wording by its text, with the grading the ward gives it. */
const GRADING = new Map<string, { c: number | null; l: number | null }>(
  ITEM_TEMPLATES.flatMap((template) => [
    [template.description, { c: template.c, l: template.l }] as const,
    ...(OTHER_WORDINGS[template.description] ?? []).map(
      (w) => [w.description, { c: w.c ?? template.c, l: w.l ?? template.l }] as const,
    ),
  ]),
);

/** The words a ward uses for a drawn issue: the template's own half the time, else one of its others. */
export function demoWording(random: () => number) {
  return (template: ItemTemplate): string => {
    const others = OTHER_WORDINGS[template.description];
    const roll = random();
    if (!others || roll < 0.5) return template.description;
    return others[roll < 0.75 ? 0 : 1].description;
  };
}

/** An item drawn from the mix, graded as the ward grades its wording. */
export function gradedAsWorded<T extends { description: string; consequence?: number; likelihood?: number }>(
  item: T,
): T {
  const grading = GRADING.get(item.description);
  if (!grading || item.consequence === undefined || grading.c === null || grading.l === null) return item;
  return { ...item, consequence: grading.c, likelihood: grading.l };
}

/** Every wording of the demo (for checks that they are unlike each other). */
export const DEMO_WORDINGS = [...GRADING.keys()];
