import { z } from 'zod';
import { ALIGNMENT_STATES } from '../domain/alignment.js';
import { BARRIERS } from '../domain/taxonomy.js';
import { alignmentModelsSchema } from './models-schema.js';
import { REPORTED_OUTCOMES, STANCES } from '../domain/escalation.js';
import { RISK_BANDS } from '../domain/risk.js';
import { ITEM_CATEGORIES, ITEM_KINDS } from '../domain/taxonomy.js';
import { isoDate, timestamp } from '../http/schemas.js';
import { checkPeriod, reportFilterFields, reportFilterQuery } from './scope.js';

// ---------------------------------------------------------------------------
// Query strings

/** The board measures charted by src/reports/spc.ts. */

/** How the unadjusted tables read an issue's alignment (as the models do). */
const FIRST_RESPONSE =
  "By alignment at the manager's first response: the state the first agree or disagree recorded by the as-at " +
  'time made (pending when none); the item itself shows its alignment as it is now';

export const SPC_METRICS = ['items_raised', 'ack_within_deadline', 'days_to_resolution'] as const;
export type SpcMetric = (typeof SPC_METRICS)[number];

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;

export const governanceQuery = z
  .strictObject({
    ...reportFilterFields,
    format: z.enum(REPORT_FORMATS).default('json').describe('json (default), csv (tidy table) or html (printable)'),
    ackTarget: z.coerce
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Target share of escalations acknowledged within deadline (0-1), for the SPC assurance reading'),
    resolutionDaysTarget: z.coerce
      .number()
      .min(0)
      .max(3650)
      .optional()
      .describe('Target median days to resolution, for the SPC assurance reading'),
  })
  .superRefine(checkPeriod);

export type GovernanceQuery = z.infer<typeof governanceQuery>;

export const alignmentQuery = reportFilterQuery;

export const spcQuery = z
  .strictObject({
    metric: z.enum(SPC_METRICS),
    ...reportFilterFields,
    target: z.coerce.number().min(0).max(100_000).optional().describe('Target value, for the assurance reading'),
  })
  .superRefine(checkPeriod);
export type SpcQuery = z.infer<typeof spcQuery>;

export const threatsQuery = z
  .strictObject({
    ...reportFilterFields,
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .superRefine(checkPeriod);
export type ThreatsQuery = z.infer<typeof threatsQuery>;

// ---------------------------------------------------------------------------
// Shared parts

const count = z.number().int().min(0);
const share = z.number().min(0).max(1);
const wardRef = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  division: z.string().nullable(),
  closedOn: z.iso
    .date()
    .nullable()
    .describe('The UK date the ward closed (its last working day in the figures); null while open'),
});

/** A ranked thread's first fields (see threads.ts): the board pack's persistent issues and the threat ranking. */
const threadHeadline = {
  rank: z.number().int().min(1),
  threadId: z.uuid(),
  latestItemId: z.uuid(),
  ward: wardRef,
  kind: z.enum(ITEM_KINDS),
  category: z.enum(ITEM_CATEGORIES),
  description: z.string(),
};

export const reportScopeSchema = z
  .object({
    organisation: z.object({ id: z.uuid(), name: z.string() }),
    wardId: z.uuid().nullable(),
    division: z.string().nullable(),
    wards: z.array(wardRef),
  })
  .meta({ id: 'ReportScope' });

export const reportPeriodSchema = z
  .object({
    from: isoDate,
    to: isoDate,
    days: count,
    previous: z.object({ from: isoDate, to: isoDate }).describe('The period of the same length just before'),
    asOf: timestamp.describe('Figures are as at this instant: the end of `to`, or now if the period has not ended'),
    asOfDate: isoDate,
    generatedAt: timestamp,
    timeZone: z.string(),
    readFrom: z
      .enum(['primary', 'replica'])
      .describe('Where the figures were read: the primary database, or its read replica (REPORTS_DATABASE_URL)'),
    replicationLagSeconds: z
      .number()
      .min(0)
      .describe(
        'How far behind the primary the figures may be: 0 on the primary and on a replica that has replayed all it received; ' +
          'otherwise seconds since the last change the replica replayed (changes committed since are not in the figures)',
      ),
  })
  .meta({ id: 'ReportPeriod' });

const specialCause = z.object({
  rule: z.enum(['outside_limits', 'shift', 'trend', 'two_of_three']),
  kind: z.enum(['improvement', 'concern', 'neutral']),
});

export const spcChartSchema = z
  .object({
    metric: z.enum(SPC_METRICS),
    title: z.string(),
    unit: z.string(),
    improvement: z.enum(['up', 'down', 'neutral']),
    target: z.number().nullable(),
    points: z.array(
      z.object({
        period: isoDate.describe('Monday of the ISO week'),
        value: z.number(),
        special: specialCause.optional(),
      }),
    ),
    mean: z.number().nullable(),
    upperProcessLimit: z.number().nullable(),
    lowerProcessLimit: z.number().nullable().describe('Statistical limit, not clamped at zero'),
    upperNearLimit: z.number().nullable(),
    lowerNearLimit: z.number().nullable(),
    trial: z.boolean().describe('Fewer than 12 points: the limits are trial limits'),
    variation: z.enum([
      'common_cause',
      'special_cause_improvement',
      'special_cause_concern',
      'special_cause_neutral',
      'insufficient_data',
    ]),
    assurance: z.enum(['consistently_pass', 'consistently_fail', 'hit_and_miss']).optional(),
    summary: z.object({ variation: z.string(), assurance: z.string() }),
  })
  .meta({ id: 'SpcChart' });

const resolutionSummary = {
  items: count,
  resolved: count,
  resolutionRate: share.nullable(),
  lower: share.nullable().describe('95% Wilson interval'),
  upper: share.nullable(),
  medianDaysToResolution: z.number().nullable().describe('Kaplan-Meier median; null when fewer than half resolved'),
};

const oddsRatioSchema = z.object({
  exposed: z.array(z.string()),
  reference: z.array(z.string()),
  table: z.object({
    exposedResolved: count,
    exposedUnresolved: count,
    referenceResolved: count,
    referenceUnresolved: count,
  }),
  oddsRatio: z.number().nullable(),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  method: z.enum(['woolf', 'woolf_haldane']),
  fisherP: z.number(),
  smallCounts: z.boolean(),
});

// ---------------------------------------------------------------------------
// Board pack

const comparison = z.object({ current: count, previous: count, change: z.number().int() });
const breakdown = <K extends readonly [string, ...string[]]>(keys: K) =>
  z.array(comparison.extend({ key: z.enum(keys) }));
const itemBreakdown = z.object({
  total: comparison,
  byKind: breakdown(ITEM_KINDS),
  byCategory: breakdown(ITEM_CATEGORIES),
  byBand: breakdown([...RISK_BANDS, 'ungraded'] as const),
});

const attendanceGroup = z.object({
  group: z.enum(['nursing', 'medical', 'allied', 'manager', 'other']),
  total: count,
  briefingsRecorded: count.describe('Held briefings that recorded this group'),
  meanPerBriefing: z.number().nullable(),
  briefingsPresent: count.describe('Held briefings with at least one of this group'),
});

const fidelity = z.object({
  workingDays: count.describe('Monday-Friday days up to the as-at date (for all wards: ward-days)'),
  heldWorkingDays: count,
  heldShare: share.nullable(),
  workingDaysWithoutRecord: count,
  briefingsHeld: count,
  briefingsNotHeld: count,
  notHeldReasons: z.array(z.object({ reason: z.string(), count })),
  attendance: z.array(attendanceGroup),
  itemsRaised: count,
  itemsPerBriefing: z.number().nullable(),
});

const escalationStats = z.object({
  opened: count,
  acknowledgedWithinDeadline: count,
  acknowledgedLate: count,
  missedDeadline: count,
  pending: count,
  closedWithoutAcknowledgement: count,
  ackWithinDeadlineShare: share.nullable().describe('within / (within + late + missed)'),
  lower: share.nullable(),
  upper: share.nullable(),
  medianHoursToAcknowledge: z.number().nullable(),
  resolved: count,
  medianDaysToResolve: z.number().nullable(),
  overdueNow: count.describe('Open now with the deadline passed, whenever opened'),
});

export const governancePackSchema = z
  .object({
    scope: reportScopeSchema,
    period: reportPeriodSchema,
    fidelity: z.object({
      overall: fidelity,
      wards: z.array(fidelity.extend({ ward: wardRef })),
    }),
    items: z.object({
      overall: itemBreakdown,
      wards: z.array(itemBreakdown.extend({ ward: wardRef })),
    }),
    escalations: z.object({
      overall: escalationStats,
      byBand: z.array(escalationStats.extend({ band: z.enum(RISK_BANDS) })),
      byLevel: z.array(escalationStats.extend({ level: z.number().int().min(1) })),
      outcomes: z.array(z.object({ outcome: z.enum([...REPORTED_OUTCOMES, 'unresolved'] as const), count })),
    }),
    alignment: z.object({
      items: count.describe('Problems and risks raised in the period and not fixed at the briefing'),
      byAlignment: z
        .array(z.object({ state: z.enum(ALIGNMENT_STATES), ...resolutionSummary }))
        .describe(FIRST_RESPONSE),
      byRiskBand: z.array(z.object({ band: z.enum(RISK_BANDS), ...resolutionSummary })),
      alignedForChange: oddsRatioSchema,
      highRisk: oddsRatioSchema,
      adjusted: alignmentModelsSchema.describe(
        "Models of resolution with agreement at the manager's first response, allowing for band and priority",
      ),
      barriers: z
        .object({
          disagreeing: count.describe('Escalations opened in the period whose manager disagrees that change is needed'),
          undecided: count.describe('Escalations opened in the period whose manager needs more information'),
          barriers: z.array(
            z
              .object({ barrier: z.enum(BARRIERS), disagreeing: count, undecided: count })
              .describe('How many of those managers name the barrier (a manager may name several)'),
          ),
        })
        .describe('What managers who disagree or are undecided say stands in the way of the change'),
    }),
    persistentIssues: z.array(
      z.object({
        ...threadHeadline,
        maxRiskScore: z.number().int().nullable(),
        timesRaised: count,
        raisedInPeriod: count,
        firstRaisedOn: isoDate,
        lastRaisedOn: isoDate,
        daysOpen: count,
        persistenceScore: z.number(),
        owner: z.object({ id: z.uuid(), name: z.string() }).nullable(),
        escalationState: z.string().nullable(),
        latestResponse: z
          .object({ stance: z.enum(STANCES), rationale: z.string().nullable(), at: timestamp })
          .nullable(),
        plannedAction: z.object({ description: z.string(), dueDate: isoDate }).nullable(),
      }),
    ),
    priorities: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        level: z.enum(['organisation', 'division', 'ward']),
        ward: wardRef.nullable(),
        division: z.string().nullable(),
        owner: z.object({ id: z.uuid(), name: z.string() }),
        linkedItems: count,
        resolvedItems: count,
        openItems: count,
        raisedInPeriod: count,
        resolutionRate: share.nullable(),
      }),
    ),
    spc: z.object({
      itemsRaised: spcChartSchema,
      ackWithinDeadline: spcChartSchema,
      daysToResolution: spcChartSchema,
    }),
  })
  .meta({ id: 'GovernancePack' });

export type GovernancePack = z.infer<typeof governancePackSchema>;

// ---------------------------------------------------------------------------
// Analysis endpoints

const survivalCurve = z.object({
  points: z.array(z.object({ time: z.number(), atRisk: count, events: count, censored: count, survival: z.number() })),
  median: z.number().nullable(),
});

export const alignmentReportSchema = z
  .object({
    scope: reportScopeSchema,
    period: reportPeriodSchema,
    items: count,
    byAlignment: z
      .array(z.object({ state: z.enum(ALIGNMENT_STATES), ...resolutionSummary, survival: survivalCurve }))
      .describe(FIRST_RESPONSE),
    byRiskBand: z.array(z.object({ band: z.enum(RISK_BANDS), ...resolutionSummary, survival: survivalCurve })),
    alignedForChange: oddsRatioSchema.describe(
      'Odds of resolution, aligned_for_change against the other answered states',
    ),
    highRisk: oddsRatioSchema.describe('Odds of resolution, high and extreme against low and moderate'),
    models: alignmentModelsSchema.describe(
      "Agreement at the manager's first response, allowing for risk band and priority alignment",
    ),
  })
  .meta({ id: 'AlignmentReport' });

export const spcReportSchema = spcChartSchema
  .extend({ scope: reportScopeSchema, period: reportPeriodSchema })
  .meta({ id: 'SpcReport' });

export const threatsReportSchema = z
  .object({
    scope: reportScopeSchema,
    period: reportPeriodSchema,
    threats: z.array(
      z.object({
        ...threadHeadline,
        consequence: z.number().int().min(1).max(5),
        maxRiskScore: z.number().int().nullable(),
        firstRaisedOn: isoDate,
        lastRaisedOn: isoDate,
        timesRaised: count,
        raisingsInWindow: count,
        ageDays: count,
        severity: z.number().int().min(1).max(4),
        probability: z.number().int().min(1).max(4),
        hazardScore: z.number().int().min(1).max(16),
        ageBonus: z.number().int().min(0).max(4),
        rankScore: z.number().int().min(1).max(20),
        proceedToAction: z.boolean().describe('Hazard score of 8 or more (HFMEA decision tree)'),
      }),
    ),
    total: count.describe('Open threats before the limit'),
  })
  .meta({ id: 'ThreatsReport' });
