/**
 * The briefings of the reports dataset (dataset.ts, whose header has the design table): every
 * ward's held and not-held briefings in and before the period, with their items by key.
 */

export type Attendance = { nursing: number; medical: number; allied: number; manager: number; other: number };
export const STANDARD: Attendance = { nursing: 6, medical: 2, allied: 1, manager: 1, other: 0 };

export interface ItemSpec {
  key: string;
  kind: 'problem' | 'risk' | 'good_practice';
  category: string;
  description: string;
  c?: number;
  l?: number;
  rab?: boolean;
  nc?: boolean;
  repeatOf?: string;
  /**
   * Recorded unlinked, and linked to `repeatOf` in the database afterwards: the design gives this
   * repeat an escalation of its own while its thread's is open, which the API no longer opens
   * (a repeat joins its thread's open escalation).
   */
  linkedAfter?: boolean;
}

export interface BriefingSpec {
  ward: 'W1' | 'W2' | 'W3';
  date: string;
  shift?: 'day' | 'night';
  notHeld?: string;
  attendance?: Attendance | null;
  items?: ItemSpec[];
}

const it = (
  key: string,
  kind: ItemSpec['kind'],
  category: string,
  description: string,
  extra: Partial<ItemSpec> = {},
): ItemSpec => ({
  key,
  kind,
  category,
  description,
  ...extra,
});

/** W1 held day briefings on these working days (15 of 20). */
const W1_HELD = ['02', '03', '04', '05', '06', '09', '10', '11', '12', '16', '17', '18', '19', '23', '24'];

/** W1's items, by the day of June they were raised on. */
const W1_ITEMS_ON: Record<string, ItemSpec[]> = {
  '02': [
    it('a1', 'problem', 'equipment', 'Infusion pump in bay three alarming intermittently', { c: 4, l: 3, nc: true }),
    it('a2', 'good_practice', 'communication', 'Safety huddle board kept up to date by the whole team'),
  ],
  '03': [
    it('a3', 'risk', 'medication', 'Controlled drugs cupboard key handover unclear at night', {
      c: 4,
      l: 4,
      nc: true,
    }),
  ],
  '04': [
    it('a4', 'problem', 'staffing', 'Phlebotomist late; the nurse in charge covered the bloods', {
      c: 2,
      l: 2,
      rab: true,
    }),
  ],
  '09': [
    it('a5', 'problem', 'equipment', 'Bladder scanner broken again this morning', {
      c: 3,
      l: 2,
      nc: false,
      repeatOf: 'p1',
      linkedAfter: true,
    }),
  ],
  '10': [
    it('a6', 'risk', 'it_information', 'Observation tablets lose wifi in the side rooms', { c: 2, l: 1, nc: true }),
  ],
  '11': [it('a7', 'problem', 'estates_environment', 'Toilet in bay two out of order', { c: 3, l: 3, nc: false })],
  '16': [
    it('a8', 'problem', 'equipment', 'Still no working bladder scanner on the ward', {
      c: 3,
      l: 2,
      nc: true,
      repeatOf: 'p1',
      linkedAfter: true,
    }),
  ],
  '17': [
    it('a9', 'problem', 'clinical_process', 'Falls assessments missed within six hours of admission', {
      c: 4,
      l: 2,
      nc: true,
    }),
  ],
  '18': [
    it('a10', 'risk', 'communication', 'Medical handover may start late during junior doctor changeover', {
      c: 3,
      l: 2,
      nc: false,
    }),
  ],
  '19': [
    it('a11', 'problem', 'patient_flow', 'Transfers to the discharge lounge waiting for porters', {
      c: 2,
      l: 3,
      nc: false,
    }),
  ],
};

const PREVIOUS_PERIOD: BriefingSpec[] = [
  {
    ward: 'W1',
    date: '2025-05-12',
    items: [
      it('p1', 'problem', 'equipment', 'Bladder scanner out of service, patients waiting for scans', {
        c: 3,
        l: 2,
        nc: true,
      }),
    ],
  },
  {
    ward: 'W1',
    date: '2025-05-19',
    items: [it('p2', 'risk', 'staffing', 'Student supervision gaps on the late shift', { c: 2, l: 2, rab: true })],
  },
  {
    ward: 'W2',
    date: '2025-05-13',
    items: [
      it('p3', 'good_practice', 'communication', 'Handover checklist used on every shift'),
      it('p4', 'problem', 'patient_flow', 'Discharges delayed waiting for pharmacy to dispense medicines', {
        c: 2,
        l: 5,
        nc: true,
      }),
    ],
  },
];

/** After W1's held day briefings: its night and weekend briefings, those not held, and the other wards. */
const OTHER_BRIEFINGS: BriefingSpec[] = [
  {
    ward: 'W1',
    date: '2025-06-03',
    shift: 'night',
    attendance: { nursing: 3, medical: 1, allied: 0, manager: 0, other: 0 },
  },
  { ward: 'W1', date: '2025-06-14', attendance: null }, // a Saturday: held, but not a working day
  { ward: 'W1', date: '2025-06-13', notHeld: 'Ward too busy' },
  { ward: 'W1', date: '2025-06-20', notHeld: 'No facilitator available' },
  { ward: 'W1', date: '2025-06-25', notHeld: 'Ward too busy' },
  // 06-26 and 06-27: nothing recorded
  {
    ward: 'W1',
    date: '2025-06-30',
    items: [it('a12', 'risk', 'other', 'Fire door wedged open by the linen cupboard', { c: 1, l: 1 })],
  },
  {
    ward: 'W2',
    date: '2025-06-02',
    items: [
      it('b1', 'problem', 'patient_flow', 'Pharmacy delays holding up discharges again', {
        c: 2,
        l: 5,
        nc: true,
        repeatOf: 'p4',
      }),
    ],
  },
  {
    ward: 'W2',
    date: '2025-06-03',
    items: [
      it('b2', 'problem', 'patient_flow', 'Two discharges missed waiting for medicines to take home', {
        c: 2,
        l: 5,
        nc: true,
        repeatOf: 'p4',
      }),
    ],
  },
  {
    ward: 'W2',
    date: '2025-06-04',
    items: [it('b3', 'risk', 'infection_prevention', 'No side room free for isolation', { c: 4, l: 4, nc: true })],
  },
  {
    ward: 'W2',
    date: '2025-06-05',
    items: [it('b4', 'good_practice', 'clinical_process', 'Sepsis screening completed for every admission')],
  },
  {
    ward: 'W2',
    date: '2025-06-06',
    items: [it('b5', 'problem', 'diagnostics', 'CT report delayed; chased and received', { c: 3, l: 3, rab: true })],
  },
  // W3: one briefing, not held, with a reason a spreadsheet would try to run as a formula
  { ward: 'W3', date: '2025-06-02', notHeld: '=1+2 <b>Short staffed</b>' },
];

export function briefingPlan(): BriefingSpec[] {
  const w1Held = W1_HELD.map((day): BriefingSpec => ({
    ward: 'W1',
    date: `2025-06-${day}`,
    attendance: day === '02' ? { nursing: 5, medical: 0, allied: 2, manager: 1, other: 1 } : STANDARD,
    items: W1_ITEMS_ON[day] ?? [],
  }));
  return [...PREVIOUS_PERIOD, ...w1Held, ...OTHER_BRIEFINGS];
}
