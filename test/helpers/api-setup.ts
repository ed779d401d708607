import { createTestContext, type TestContext } from './context.js';
import { putPolicy } from './escalation.js';
import { createOrganisation, type Organisation } from './fixtures.js';

export interface ApiTestOptions {
  /** Settings over the test defaults (see createTestContext), e.g. { LOG_LEVEL: 'trace' }. */
  env?: Record<string, string>;
  /** 2 also creates `other`: a second organisation, for checks across tenants. Default 1. */
  organisations?: 1 | 2;
  /** The escalation policy of the first organisation's first ward, put before any test runs. */
  policy?: (org: Organisation) => Record<string, unknown>;
  /** Start the queue workers in this process too (escalation timers, webhooks). */
  workers?: boolean;
}

export interface ApiTest {
  ctx: TestContext;
  /** Two wards with device tokens, a clinician, managers and a governance reader (createOrganisation). */
  org: Organisation;
  /** The second organisation; only with `organisations: 2`. */
  other: Organisation;
}

/**
 * What an API test file starts from, in its beforeAll: its own test context (database clone,
 * queue prefix, app), its organisations, and optionally an escalation policy and the workers.
 * The file closes `ctx` in its afterAll.
 *
 *   beforeAll(async () => {
 *     ({ ctx, org } = await startApiTest({ policy: (org) => ({ levels: [{ staffId: org.middleManager.id }] }) }));
 *   });
 *   afterAll(() => ctx?.close());
 */
export async function startApiTest(options: ApiTestOptions = {}): Promise<ApiTest> {
  const ctx = await createTestContext(options.env);
  const org = await createOrganisation(ctx.app);
  const other = options.organisations === 2 ? await createOrganisation(ctx.app) : undefined;
  if (options.policy) await putPolicy(ctx, org, org.wards[0]!.id, options.policy(org));
  if (options.workers) await ctx.startWorkers();
  return {
    ctx,
    org,
    get other(): Organisation {
      if (!other) throw new Error('no second organisation: call startApiTest({ organisations: 2 })');
      return other;
    },
  };
}
