/** The shape of the reports dataset (dataset.ts, whose header has the design table). */
import type { Organisation } from '../helpers/fixtures.js';

export const PERIOD = { from: '2025-06-02', to: '2025-06-29' } as const;

/** Rows of a raw statement (db.execute is typed loosely across drivers). */
export const rowsOf = (result: unknown) => (result as { rows: unknown[] }).rows;

export interface Dataset {
  org: Organisation;
  other: Organisation;
  wards: { W1: WardInfo; W2: WardInfo; W3: WardInfo };
  organisationName: string;
  /** Item ids by key (p1, a1, ...). */
  items: Record<string, string>;
  /** Escalation ids E0..E9. */
  escalations: Record<string, string>;
  priorities: Record<'PR1' | 'PR2' | 'PR3' | 'PR4', string>;
}

export interface WardInfo {
  id: string;
  code: string;
  name: string;
  division: string;
  deviceToken: string;
}

export const at = (date: string, time: string) => `${date}T${time}:00Z`;

export type Wards = Dataset['wards'];
/** Escalation ids of the designed automatic escalations (E7, the manual one, comes later). */
export type AutomaticEscalations = Record<'E0' | 'E1' | 'E2' | 'E3' | 'E4' | 'E5' | 'E6' | 'E8' | 'E9', string>;
