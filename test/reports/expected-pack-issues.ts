/**
 * The board pack's persistent issues, active priorities and SPC charts expected for the dataset
 * of dataset.ts, every figure worked out by hand (the working is in the comments). The rest of
 * the pack is in expected-pack.ts, which adds these.
 */
import type { Dataset } from './dataset.js';

export interface WardRef {
  id: string;
  code: string;
  name: string;
  division: string | null;
  closedOn: string | null;
}

export function expectedIssuesAndCharts(data: Dataset, [W1, W2]: [WardRef, WardRef]) {
  return {
    // Persistent (raised 3+ times or open more than 14 days), ranked by risk x (1 + ln times) x (1 + days / 30).
    persistentIssues: [...expectedRepeatedIssues(data, [W1, W2]), ...expectedLongOpenIssues(data, W1)],
    // Active priorities by level then title; the inactive one is left out.
    priorities: expectedPriorities(data, W2),
    spc: expectedSpc(),
  };
}

/** Ranks 1 and 2: threads raised three times. */
function expectedRepeatedIssues(data: Dataset, [W1, W2]: [WardRef, WardRef]) {
  const { items } = data;
  return [
    {
      rank: 1,
      threadId: items.p4!,
      latestItemId: items.b2!,
      ward: W2,
      kind: 'problem',
      category: 'patient_flow',
      description: 'Two discharges missed waiting for medicines to take home',
      maxRiskScore: 10,
      timesRaised: 3,
      raisedInPeriod: 2,
      firstRaisedOn: '2025-05-13',
      lastRaisedOn: '2025-06-03',
      daysOpen: 47,
      persistenceScore: 10 * (1 + Math.log(3)) * (1 + 47 / 30),
      owner: null,
      escalationState: null,
      latestResponse: null,
      plannedAction: null,
    },
    {
      rank: 2,
      threadId: items.p1!,
      latestItemId: items.a8!,
      ward: W1,
      kind: 'problem',
      category: 'equipment',
      description: 'Still no working bladder scanner on the ward',
      maxRiskScore: 6,
      timesRaised: 3,
      raisedInPeriod: 2,
      firstRaisedOn: '2025-05-12',
      lastRaisedOn: '2025-06-16',
      daysOpen: 48,
      persistenceScore: 6 * (1 + Math.log(3)) * (1 + 48 / 30),
      // The thread's latest escalation is E5 (a8).
      owner: { id: data.org.middleManager.id, name: `middle_manager ${data.org.code}` },
      escalationState: 'resolved',
      latestResponse: {
        stance: 'disagree',
        rationale: 'Within tolerance: a second scanner is available on the next ward',
        at: '2025-06-16T15:30:00.000Z',
      },
      plannedAction: null,
    },
  ];
}

/** Ranks 3 and 4: raised once, open more than 14 days. */
function expectedLongOpenIssues(data: Dataset, W1: WardRef) {
  const { items } = data;
  return [
    {
      rank: 3,
      threadId: items.a3!,
      latestItemId: items.a3!,
      ward: W1,
      kind: 'risk',
      category: 'medication',
      description: 'Controlled drugs cupboard key handover unclear at night',
      maxRiskScore: 16,
      timesRaised: 1,
      raisedInPeriod: 1,
      firstRaisedOn: '2025-06-03',
      lastRaisedOn: '2025-06-03',
      daysOpen: 26,
      persistenceScore: 16 * (1 + 26 / 30),
      owner: { id: data.org.seniorManager.id, name: `senior_manager ${data.org.code}` },
      escalationState: 'in_progress',
      latestResponse: {
        stance: 'agree',
        rationale: 'Controlled drugs key process must change',
        at: '2025-06-03T11:00:00.000Z',
      },
      plannedAction: { description: 'Review the controlled drugs key handover', dueDate: '2025-07-01' },
    },
    {
      rank: 4,
      threadId: items.a6!,
      latestItemId: items.a6!,
      ward: W1,
      kind: 'risk',
      category: 'it_information',
      description: 'Observation tablets lose wifi in the side rooms',
      maxRiskScore: 2,
      timesRaised: 1,
      raisedInPeriod: 1,
      firstRaisedOn: '2025-06-10',
      lastRaisedOn: '2025-06-10',
      daysOpen: 19,
      persistenceScore: 2 * (1 + 19 / 30),
      owner: { id: data.org.middleManager.id, name: `middle_manager ${data.org.code}` },
      escalationState: 'open',
      latestResponse: null,
      plannedAction: null,
    },
  ];
}

function expectedPriorities(data: Dataset, W2: WardRef) {
  return [
    {
      id: data.priorities.PR3,
      title: 'Theatre list overruns',
      level: 'division',
      ward: null,
      division: 'Surgery',
      owner: { id: data.org.seniorManager.id, name: `senior_manager ${data.org.code}` },
      linkedItems: 0,
      resolvedItems: 0,
      openItems: 0,
      raisedInPeriod: 0,
      resolutionRate: null,
    },
    {
      id: data.priorities.PR1,
      title: 'Reduce equipment downtime',
      level: 'organisation',
      ward: null,
      division: null,
      owner: { id: data.org.seniorManager.id, name: `senior_manager ${data.org.code}` },
      linkedItems: 4, // a1, a5, a8, p1
      resolvedItems: 2, // a1, a8
      openItems: 2,
      raisedInPeriod: 3,
      resolutionRate: 0.5,
    },
    {
      id: data.priorities.PR2,
      title: 'Faster discharge from ward W2',
      level: 'ward',
      ward: W2,
      division: null,
      owner: { id: data.org.middleManager.id, name: `middle_manager ${data.org.code}` },
      linkedItems: 3, // p4, b1, b2 (b2 resolved only after the period)
      resolvedItems: 0,
      openItems: 3,
      raisedInPeriod: 2,
      resolutionRate: 0,
    },
  ];
}

function expectedSpc() {
  return { itemsRaised: expectedItemsRaisedChart(), ...expectedResponseCharts() };
}

function expectedItemsRaisedChart() {
  // Items per week: 9 (a1-a4, b1-b5), 3 (a5-a7), 4 (a8-a11), 0. Mean 4; MR 6, 1, 4 -> AMR 11/3.
  return {
    metric: 'items_raised',
    title: 'Items raised per week',
    unit: 'items',
    improvement: 'neutral',
    target: null,
    points: [
      { period: '2025-06-02', value: 9 },
      { period: '2025-06-09', value: 3 },
      { period: '2025-06-16', value: 4 },
      { period: '2025-06-23', value: 0 },
    ],
    mean: 4,
    upperProcessLimit: 4 + 2.66 * (11 / 3),
    lowerProcessLimit: 4 - 2.66 * (11 / 3),
    upperNearLimit: 4 + (2 / 3) * 2.66 * (11 / 3),
    lowerNearLimit: 4 - (2 / 3) * 2.66 * (11 / 3),
    trial: true,
    variation: 'common_cause',
    summary: {
      variation:
        'Common cause variation: no signal of change in the latest point. Limits are trial limits (fewer than 12 points).',
      assurance: 'No target set: assurance is not assessed.',
    },
  };
}

/** How fast escalations are acknowledged and items resolved. */
function expectedResponseCharts() {
  return {
    // By week opened: E1 in time, E2 late -> 1/2; E3 missed (E4 closed, not counted) -> 0;
    // E5, E6, E8, E9 -> 1; the last week has only E7, pending -> no point. Mean 0.5; AMR 0.75.
    ackWithinDeadline: {
      metric: 'ack_within_deadline',
      title: 'Escalations acknowledged within deadline (share, by week opened)',
      unit: 'share',
      improvement: 'up',
      target: 0.9,
      points: [
        { period: '2025-06-02', value: 0.5 },
        { period: '2025-06-09', value: 0 },
        { period: '2025-06-16', value: 1 },
      ],
      mean: 0.5,
      upperProcessLimit: 2.495,
      lowerProcessLimit: -1.495,
      upperNearLimit: 1.83,
      lowerNearLimit: -0.83,
      trial: true,
      variation: 'common_cause',
      assurance: 'hit_and_miss',
      summary: {
        variation:
          'Common cause variation: no signal of change in the latest point. Limits are trial limits (fewer than 12 points).',
        assurance: 'The process will hit and miss the target (the target lies within the process limits).',
      },
    },
    // By week resolved: a1 4; a7 0; a10 1 and a9 3 -> 2; a8 10 and b3 20 -> 15. Mean 5.25; AMR 19/3.
    daysToResolution: {
      metric: 'days_to_resolution',
      title: 'Median days to resolution (by week resolved)',
      unit: 'days',
      improvement: 'down',
      target: 30,
      points: [
        { period: '2025-06-02', value: 4 },
        { period: '2025-06-09', value: 0 },
        { period: '2025-06-16', value: 2 },
        { period: '2025-06-23', value: 15 },
      ],
      mean: 5.25,
      upperProcessLimit: 5.25 + 2.66 * (19 / 3),
      lowerProcessLimit: 5.25 - 2.66 * (19 / 3),
      upperNearLimit: 5.25 + (2 / 3) * 2.66 * (19 / 3),
      lowerNearLimit: 5.25 - (2 / 3) * 2.66 * (19 / 3),
      trial: true,
      variation: 'common_cause',
      // 30 days lies above the upper limit (22.1) and lower is better: always met.
      assurance: 'consistently_pass',
      summary: {
        variation:
          'Common cause variation: no signal of change in the latest point. Limits are trial limits (fewer than 12 points).',
        assurance:
          'The process will consistently meet the target (the target lies outside the process limits, on the passing side).',
      },
    },
  };
}
