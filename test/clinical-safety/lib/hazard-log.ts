import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { LIKELIHOODS, SEVERITIES } from './risk-matrix.js';

/** Where the hazard log and its rendered page live, relative to the repository root. */
export const HAZARD_LOG_YAML = 'docs/clinical-safety/hazard-log.yaml';
export const HAZARD_LOG_PAGE = 'docs/clinical-safety/hazard-log.md';

const text = z.string().trim().min(1);

const risk = z.strictObject({
  severity: z.enum(SEVERITIES),
  likelihood: z.enum(LIKELIHOODS),
});

/** A test that shows a control works: a vitest file and a test's full name in it. */
const evidence = z.strictObject({
  file: z.string().regex(/^test\/.+\.test\.ts$/, 'a vitest file under test/, ending .test.ts'),
  /** "describe > ... > it", each name exactly as written in the file (see test-names.ts). */
  test: text,
});
export type Evidence = z.infer<typeof evidence>;

export const CONTROL_TYPES = ['design', 'test', 'training', 'deployment'] as const;
export type ControlType = (typeof CONTROL_TYPES)[number];

const control = z.strictObject({
  type: z.enum(CONTROL_TYPES),
  description: text,
  /** Required (non-empty) for design and test controls; training and deployment have none. */
  evidence: z.array(evidence).optional(),
});
export type Control = z.infer<typeof control>;

const plannedControl = z.strictObject({
  type: z.enum(CONTROL_TYPES),
  description: text,
});

export const HAZARD_STATUSES = ['open', 'closed'] as const;

const hazard = z.strictObject({
  id: z.string().regex(/^HAZ-\d{3}$/, 'HAZ- and three digits'),
  title: text,
  causes: z.array(text).min(1),
  effect: text,
  initialRisk: risk,
  controls: z.array(control).min(1),
  residualRisk: risk,
  status: z.enum(HAZARD_STATUSES),
  /** Why the residual risk is accepted; required from rating 3 (undesirable) upwards. */
  justification: text.optional(),
  /** Controls still to come; an open hazard needs at least one. */
  plannedControls: z.array(plannedControl).optional(),
});
export type Hazard = z.infer<typeof hazard>;

export const hazardLogSchema = z.strictObject({
  system: text,
  /** The release the log was reviewed for: package.json's version. */
  release: text,
  reviewed: z.iso.date(),
  hazards: z.array(hazard).min(1),
});
export type HazardLog = z.infer<typeof hazardLogSchema>;

export function parseHazardLog(source: string): HazardLog {
  return hazardLogSchema.parse(parse(source));
}

export function readHazardLog(path: string): HazardLog {
  return parseHazardLog(readFileSync(path, 'utf8'));
}
