/**
 * The alignment report's models: agreement at the manager's first response, resolution modelled
 * on it with risk band and priority alignment. A data set large enough for the models is built on
 * the second ward (briefings through the API; answers, outcomes, threads and priority links
 * written straight to the test database), read back by SQL written here, and fitted with
 * src/domain/inference: the report must give the same figures.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDateOf } from '../../src/domain/calendar.js';
import { alignmentOf } from '../../src/domain/alignment.js';
import type { Stance } from '../../src/domain/escalation.js';
import { coxRegression } from '../../src/domain/inference/cox.js';
import { designMatrix, dropColumns, numericColumn, treatmentColumns } from '../../src/domain/inference/design.js';
import { logRankTest } from '../../src/domain/inference/log-rank.js';
import {
  clusterRobustEstimates,
  likelihoodRatioTest,
  logisticRegression,
} from '../../src/domain/inference/logistic.js';
import { mantelHaenszel } from '../../src/domain/inference/mantel-haenszel.js';
import type { TestContext } from '../helpers/context.js';
import { startApiTest } from '../helpers/api-setup.js';
import { nextDate } from '../helpers/escalation.js';
import { briefingBody, get, post, type Organisation, type UntypedJson } from '../helpers/fixtures.js';

let ctx: TestContext;
let org: Organisation;

beforeAll(async () => {
  ({ ctx, org } = await startApiTest({ policy: (o) => ({ levels: [{ staffId: o.middleManager.id }] }) }));
}, 120_000);
afterAll(() => ctx?.close());

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const exec = (query: ReturnType<typeof sql>) => ctx.database.db.execute(query);

/** A fixed pseudo-random sequence, so the data set is the same on every run. */
function lcg(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const GRADES = { moderate: [2, 3], high: [3, 3], extreme: [4, 4] } as const;
type Band = keyof typeof GRADES;
const BANDS = Object.keys(GRADES) as Band[];

interface Planned {
  id: string;
  raisedOn: string;
  needsChange: boolean;
  band: Band;
}

/** 6 briefings of 40 problems on the second ward (no escalation policy there). */
async function recordBriefings(random: () => number): Promise<Planned[]> {
  const ward = org.wards[1]!;
  const planned: Planned[] = [];
  for (let b = 0; b < 6; b++) {
    const date = nextDate();
    const items = Array.from({ length: 40 }, (_, k) => {
      const band = BANDS[Math.floor(random() * 3)]!;
      const [consequence, likelihood] = GRADES[band];
      const needsChange = random() < 0.75;
      return {
        band,
        needsChange,
        body: {
          kind: 'problem',
          category: 'equipment',
          consequence,
          likelihood,
          needsChange,
          description: `Model issue ${b}-${k} ${date}`,
        },
      };
    });
    const res = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      briefingBody(ward.id, { date, items: items.map((i) => i.body) }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    (res.body.items as UntypedJson[]).forEach((item, k) =>
      planned.push({ id: item.id, raisedOn: item.raisedOn, needsChange: items[k]!.needsChange, band: items[k]!.band }),
    );
  }
  return planned;
}

const at = (date: string, days: number, hour: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000 + hour * 3_600_000).toISOString();

async function position(item: Planned, stance: Stance, when: string) {
  const alignment = alignmentOf(item.needsChange, stance);
  await exec(sql`
    INSERT INTO position_changes (organisation_id, item_id, side, stance, alignment_after, created_at)
    VALUES (${org.id}, ${item.id}, 'managerial', ${stance}, ${alignment}, ${when}::timestamptz)`);
}

/**
 * Answers (some first needs_information, some first disagreeing then agreeing), resolutions
 * more likely with agreement and with a priority link, threads of repeats, priority links.
 */
async function writeHistory(random: () => number, planned: Planned[], priorityId: string) {
  let threadStart: string | null = null;
  for (const item of planned) {
    const roll = random();
    let agreed = false;
    if (roll < 0.12) {
      // never answered: left out of the models
    } else if (roll < 0.2) {
      await position(item, 'disagree', at(item.raisedOn, 1, 9));
      await position(item, 'agree', at(item.raisedOn, 2, 9)); // first disagreed: counts as disagreeing
    } else {
      if (roll < 0.28) await position(item, 'needs_information', at(item.raisedOn, 0, 15));
      const stance = random() < 0.6 ? 'agree' : 'disagree';
      await position(item, stance, at(item.raisedOn, 1, 10));
      agreed = item.needsChange && stance === 'agree';
    }
    const linked = random() < 0.3;
    if (linked) await exec(sql`INSERT INTO item_priorities (item_id, priority_id) VALUES (${item.id}, ${priorityId})`);
    const logit = -0.6 + 1.3 * (agreed ? 1 : 0) + 0.4 * (item.band === 'extreme' ? 1 : 0) + 0.5 * (linked ? 1 : 0);
    if (random() < 1 / (1 + Math.exp(-logit))) {
      const when = at(item.raisedOn, 1 + Math.floor(random() * 30), 12);
      await exec(sql`UPDATE items SET status = 'resolved', resolved_at = ${when}::timestamptz WHERE id = ${item.id}`);
    }
    // Threads of one to three raisings.
    if (threadStart !== null && random() < 0.35) {
      await exec(sql`UPDATE items SET thread_id = ${threadStart}::uuid WHERE id = ${item.id}`);
    } else threadStart = item.id;
  }
}

interface Extracted {
  first_alignment: string | null;
  band: Band;
  linked: boolean;
  resolved: boolean;
  days: number;
  thread: string;
}

/** The same rows, written independently: the first agree or disagree by DISTINCT ON. */
async function extract(wardId: string, asOf: string, asOfDate: string): Promise<Extracted[]> {
  return rowsOf<Extracted>(
    await exec(sql`
      WITH first_answer AS (
        SELECT DISTINCT ON (item_id) item_id, alignment_after
        FROM position_changes
        WHERE side = 'managerial' AND stance <> 'needs_information' AND created_at <= ${asOf}::timestamptz
        ORDER BY item_id, created_at, id)
      SELECT f.alignment_after AS first_alignment, i.risk_band AS band,
             i.id IN (SELECT ip.item_id FROM item_priorities ip JOIN priorities p ON p.id = ip.priority_id WHERE p.active) AS linked,
             coalesce(i.resolved_at <= ${asOf}::timestamptz, false) AS resolved,
             CASE WHEN i.resolved_at <= ${asOf}::timestamptz
                  THEN (i.resolved_at AT TIME ZONE 'Europe/London')::date - i.raised_on
                  ELSE ${asOfDate}::date - i.raised_on END AS days,
             coalesce(i.thread_id, i.id)::text AS thread
      FROM items i LEFT JOIN first_answer f ON f.item_id = i.id
      WHERE i.ward_id = ${wardId}
      ORDER BY i.raised_on, i.id`),
  );
}

let report: UntypedJson;
let rows: (Extracted & { first_alignment: string })[];

describe('the alignment report’s models on a data set large enough for them', () => {
  beforeAll(async () => {
    const random = lcg(20_251_207);
    const planned = await recordBriefings(random);
    const priority = await post(ctx.app, '/v1/priorities', org.seniorManager.token, {
      title: 'Equipment that works',
      level: 'organisation',
      ownerStaffId: org.seniorManager.id,
    });
    expect(priority.status).toBe(201);
    await writeHistory(random, planned, priority.body.id);
    const from = planned[0]!.raisedOn;
    const to = new Date(Date.parse(`${planned.at(-1)!.raisedOn}T00:00:00Z`) + 60 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const res = await get(
      ctx.app,
      `/v1/reports/alignment?from=${from}&to=${to}&wardId=${org.wards[1]!.id}`,
      org.governance.token,
    );
    expect(res.status, res.raw).toBe(200);
    report = res.body;
    const all = await extract(org.wards[1]!.id, report.period.asOf, report.period.asOfDate);
    expect(all).toHaveLength(240);
    rows = all.filter(
      (r): r is Extracted & { first_alignment: string } =>
        r.first_alignment !== null && r.first_alignment !== 'pending',
    );
  }, 300_000);

  const agreed = (r: Extracted) => (r.first_alignment === 'aligned_for_change' ? 1 : 0);
  const columns = () => [
    numericColumn<Extracted>('agreement', agreed),
    ...treatmentColumns<Extracted>('band', (r) => r.band, BANDS, 'moderate'),
    numericColumn<Extracted>('priority_aligned', (r) => (r.linked ? 1 : 0)),
  ];

  it('counts the issues answered at first response, and the threads', () => {
    const models = report.models;
    expect(models.measuredAt).toBe('first_manager_response');
    expect(models.observations).toBe(rows.length);
    expect(models.agreed).toBe(rows.filter((r) => agreed(r) === 1).length);
    expect(models.excluded).toEqual({ noAnswer: 240 - rows.length, noBand: 0 });
    expect(models.threads).toBe(new Set(rows.map((r) => r.thread)).size);
    expect(models.bands).toEqual(BANDS);
    expect(models.referenceBand).toBe('moderate');
  });

  it('gives the logistic regression’s odds ratios, clustered intervals and likelihood-ratio tests', () => {
    const design = designMatrix(rows, columns());
    const outcome = rows.map((r) => (r.resolved ? 1 : 0));
    const fit = logisticRegression(design, outcome);
    expect(fit.warnings).toEqual([]);
    const robust = clusterRobustEstimates(
      fit,
      design,
      outcome,
      rows.map((r) => r.thread),
    )!;
    const logistic = report.models.logistic;
    expect(logistic.status).toBe('estimated');
    expect(logistic.terms.map((t: UntypedJson) => t.term)).toEqual([
      'agreement',
      'band_high',
      'band_extreme',
      'priority_aligned',
    ]);
    for (const term of logistic.terms) {
      const e = robust.estimates.find((x) => x.name === term.term)!;
      const model = fit.estimates.find((x) => x.name === term.term)!;
      expect(term.ratio).toBeCloseTo(e.ratio, 10);
      expect(term.lower).toBeCloseTo(e.lower, 10);
      expect(term.upper).toBeCloseTo(e.upper, 10);
      expect(term.p).toBeCloseTo(e.p, 10);
      expect(term.modelStandardError).toBeCloseTo(model.standardError, 10);
      expect(term.modelP).toBeCloseTo(model.p, 10);
    }
    const agreement = logistic.terms[0];
    expect(agreement.ratio).toBeGreaterThan(1); // the data were made with agreement raising the odds
    expect(agreement.reading).toContain(`had ${agreement.ratio.toFixed(2)} times the odds of being resolved`);
    expect(agreement.reading).toContain(`95% CI ${agreement.lower.toFixed(2)} to ${agreement.upper.toFixed(2)}`);
    const lrAgreement = likelihoodRatioTest(fit, logisticRegression(dropColumns(design, ['agreement']), outcome));
    const lrBand = likelihoodRatioTest(
      fit,
      logisticRegression(dropColumns(design, ['band_high', 'band_extreme']), outcome),
    );
    expect(logistic.agreementTest).toMatchObject({ df: 1 });
    expect(logistic.agreementTest.chi2).toBeCloseTo(lrAgreement.chi2, 10);
    expect(logistic.agreementTest.p).toBeCloseTo(lrAgreement.p, 12);
    expect(logistic.bandTest).toMatchObject({ df: 2 });
    expect(logistic.bandTest.chi2).toBeCloseTo(lrBand.chi2, 10);
    expect(logistic.bandTest.p).toBeCloseTo(lrBand.p, 12);
  });

  it('gives the Mantel-Haenszel odds ratio by band with the Breslow-Day test', () => {
    const n = (band: Band, a: number, resolved: boolean) =>
      rows.filter((r) => r.band === band && agreed(r) === a && r.resolved === resolved).length;
    const mh = mantelHaenszel(
      BANDS.map(
        (b) =>
          [
            [n(b, 1, true), n(b, 1, false)],
            [n(b, 0, true), n(b, 0, false)],
          ] as const,
      ),
    );
    expect(mh.warnings).toEqual([]);
    const got = report.models.mantelHaenszel;
    expect(got.status).toBe('estimated');
    expect(got.strata).toBe(3);
    expect(got.oddsRatio).toBeCloseTo(mh.pooledOddsRatio!, 10);
    expect(got.lower).toBeCloseTo(mh.lower!, 10);
    expect(got.upper).toBeCloseTo(mh.upper!, 10);
    expect(got.test.p).toBeCloseTo(mh.test!.p, 12);
    expect(got.breslowDay).toMatchObject({ df: 2 });
    expect(got.breslowDay.chi2).toBeCloseTo(mh.breslowDay!.chi2, 10);
    expect(got.breslowDay.p).toBeCloseTo(mh.breslowDay!.p, 12);
  });

  it('gives the Cox model’s hazard ratios and the log-rank test', () => {
    const survival = rows.map((r) => ({ time: r.days, event: r.resolved }));
    const cox = coxRegression(designMatrix(rows, columns(), false), survival);
    expect(cox.warnings).toEqual([]);
    const got = report.models.cox;
    expect(got.status).toBe('estimated');
    expect(got.events).toBe(cox.events);
    for (const e of cox.estimates) {
      const term = got.terms.find((t: UntypedJson) => t.term === e.name);
      expect(term.ratio).toBeCloseTo(e.ratio, 8);
      expect(term.lower).toBeCloseTo(e.lower, 8);
      expect(term.upper).toBeCloseTo(e.upper, 8);
      expect(term.p).toBeCloseTo(e.p, 10);
    }
    expect(got.terms[0].reading).toContain(`resolved at ${got.terms[0].ratio.toFixed(2)} times the rate`);
    const logRank = logRankTest(rows.map((r) => ({ time: r.days, event: r.resolved, inGroup: agreed(r) === 1 })));
    expect(report.models.logRank).toMatchObject({ status: 'estimated', observed: logRank.observed, warnings: [] });
    expect(report.models.logRank.expected).toBeCloseTo(logRank.expected, 10);
    expect(report.models.logRank.test.chi2).toBeCloseTo(logRank.chi2!, 10);
    expect(report.models.logRank.test.p).toBeCloseTo(logRank.p!, 12);
  });
});

describe('agreement at the manager’s first response, and too small a group', () => {
  it('counts a manager who first disagreed and then agreed as disagreeing, and warns instead of fitting', async () => {
    // A recent date, so the report's as-at time is now and the answers given below fall inside it.
    const today = localDateOf(new Date());
    const date = addDays(today, -3);
    const ward = org.wards[0]!;
    const raised = await post(
      ctx.app,
      '/v1/briefings',
      ward.deviceToken,
      briefingBody(ward.id, {
        date,
        items: [
          {
            kind: 'problem',
            category: 'equipment',
            consequence: 4,
            likelihood: 3,
            needsChange: true,
            description: 'Pumps failing checks',
          },
        ],
      }),
    );
    expect(raised.status, raised.raw).toBe(201);
    const item = raised.body.items[0];
    const say = async (stance: string) => {
      const res = await post(ctx.app, `/v1/escalations/${item.escalation.id}/position`, org.middleManager.token, {
        stance,
        rationale: stance,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    const ack = await post(ctx.app, `/v1/escalations/${item.escalation.id}/acknowledge`, org.middleManager.token, {});
    expect(ack.status, ack.raw).toBe(200);
    await say('disagree');
    await say('agree');
    const res = await get(
      ctx.app,
      `/v1/reports/alignment?from=${date}&to=${today}&wardId=${ward.id}`,
      org.governance.token,
    );
    expect(res.status, res.raw).toBe(200);
    // The tables read the first answer as the models do; the ward's view (the item) is the state now.
    const itemsIn = (state: string) => res.body.byAlignment.find((g: UntypedJson) => g.state === state).items;
    expect(itemsIn('aligned_for_change')).toBe(0);
    expect(itemsIn('clinical_only')).toBe(1);
    expect(res.body.alignedForChange.table).toMatchObject({ exposedResolved: 0, exposedUnresolved: 0 });
    const shown = await get(ctx.app, `/v1/items/${item.id}`, ward.deviceToken);
    expect(shown.body.alignment.state).toBe('aligned_for_change');
    expect(res.body.models).toMatchObject({ observations: 1, agreed: 0, excluded: { noAnswer: 0, noBand: 0 } });
    const { logistic, mantelHaenszel: mh, cox, logRank } = res.body.models;
    for (const model of [logistic, mh, cox, logRank]) {
      expect(model.status).toBe('not_estimated');
      expect(model.warnings.length).toBeGreaterThan(0);
      expect(model.reading).toMatch(/^Not estimated: /);
    }
    expect(logistic.terms).toEqual([]);
    expect(logistic.agreementTest).toBeNull();
    // One issue, open: the outcome never varies.
    expect(logistic.warnings).toEqual([
      { code: 'separation', message: 'Every observation has the same outcome: nothing can be estimated.' },
    ]);
    expect(mh).toMatchObject({ oddsRatio: null, lower: null, upper: null, test: null, breslowDay: null });
    expect(cox.terms).toEqual([]);
    expect(logRank.test).toBeNull();
    expect(logRank.warnings).toContainEqual({
      code: 'small_group',
      message: 'The first group has 0 observations (fewer than 10).',
    });
    expect(res.body.models.omittedTerms).toEqual([
      { term: 'band', reason: 'Every issue is in the same risk band.' },
      { term: 'priority_aligned', reason: 'No issue is linked to an active QI priority.' },
    ]);
  });
});
