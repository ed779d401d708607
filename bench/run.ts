/**
 * The performance suite: `npm run bench` (large trust, everything) or `npm run bench:region`.
 *
 *   tsx bench/run.ts [--scale large-trust|region] [--only plans,inbox,pack,timers,capture]
 *                    [--capture-seconds 15] [--rounds 2] [--timers 10000] [--quick] [--keep]
 *                    [--reference ../other-checkout]
 *
 * Creates a throw-away database (wsb_bench_*), migrates it with the service's migrations,
 * generates the scale's data in SQL, starts the service as deployed (ROLE=api child process) and
 * runs each scenario against it, then writes the run's record to bench/results/runs/ (ignored by
 * git), the latest figures of the scale to bench/results/latest-<scale>.json, updates
 * docs/performance.md and drops the database. Traffic goes to 127.0.0.1 only. `--reference DIR`
 * runs another checkout's build (DIR/dist/main.js, built beforehand) beside the service in the
 * capture rounds, e.g. an earlier commit, to compare the two in one run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { QUEUE_NAMES, redisOptions } from '../src/queue/queues.js';
import { freePort, REPO_ROOT, waitHealthy } from '../test/helpers/processes.js';
import { buildService, rssSampler, startApi, stopChild, type Target } from './lib/children.js';
import { findPeople, type BenchContext } from './lib/context.js';
import { ADMIN_URL, createBenchDatabase, databaseUrl as databaseUrl_, dropBenchDatabase } from './lib/database.js';
import { generate, periodFor, SCALES, type GeneratedPeriod } from './lib/generate.js';
import { evaluateGoals, markdown, updateDoc, writeResults, type Results } from './lib/report.js';
import { runCapture } from './scenarios/capture.js';
import { runInbox } from './scenarios/inbox.js';
import { runPack } from './scenarios/pack.js';
import { runPlans } from './scenarios/plans.js';
import { runTimers } from './scenarios/timers.js';

const SCENARIOS = ['plans', 'inbox', 'pack', 'timers', 'capture'] as const;

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: 'large-trust' },
    only: { type: 'string', default: SCENARIOS.join(',') },
    'capture-seconds': { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
    timers: { type: 'string', default: '10000' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    /** Reuse a database a --keep run left (skips generation; for working on the bench itself). */
    reuse: { type: 'string' },
    reference: { type: 'string' },
  },
});

const scale = SCALES[args.scale];
if (!scale) throw new Error(`unknown scale ${args.scale}; one of ${Object.keys(SCALES).join(', ')}`);
const only = new Set(args.only.split(',').map((s) => s.trim()));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
for (const url of [ADMIN_URL, redisUrl]) {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname))
    throw new Error(`the bench only talks to 127.0.0.1, not ${url}`);
}

const started = new Date();
const stamp = started.getTime().toString(36);
const databaseName = args.reuse ?? `wsb_bench_${scale.name.replace('-', '_')}_${stamp}`;
const keep = args.keep || args.reuse !== undefined;
const log = (line: string) =>
  console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}`);

async function machine(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const setting = async (name: string) =>
    (await client.query(`SELECT current_setting($1) AS v`, [name])).rows[0]!.v as string;
  const info = {
    cpus: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: await setting('server_version'),
    shared_buffers: await setting('shared_buffers'),
    work_mem: await setting('work_mem'),
    synchronous_commit: await setting('synchronous_commit'),
    redis: '',
  };
  await client.end();
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  info.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  redis.disconnect();
  return info;
}

const load: Record<string, [number, number]> = {};
const loadNow = () => Math.round(os.loadavg()[0]! * 10) / 10;

async function scenario<T>(name: string, run: () => Promise<T>): Promise<T | { error: string } | undefined> {
  if (!only.has(name)) return undefined;
  log(`${name}... (load average ${loadNow()})`);
  const t0 = performance.now();
  const loadAtStart = loadNow();
  try {
    const result = await run();
    load[name] = [loadAtStart, loadNow()];
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return result;
  } catch (error) {
    log(`${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** A checkout to compare with, named by its commit. */
function referenceOf(dir: string | undefined) {
  if (!dir) return undefined;
  const absolute = path.resolve(dir);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: absolute, encoding: 'utf8' }).trim();
  return { dir: absolute, label: `${commit} (${absolute})` };
}

async function generateData(databaseUrl: string, period: GeneratedPeriod) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    log(`generating ${scale!.trusts} trust(s) x ${scale!.wardsPerTrust} wards, ${period.from} .. ${period.to}`);
    const generation = await generate(client, scale!, period, log);
    log(`generated ${JSON.stringify(generation.counts)} in ${generation.seconds.toFixed(0)} s`);
    return generation;
  } finally {
    await client.end();
  }
}

/** Every scenario asked for, in order, against the running API. */
async function runScenarios(ctx: BenchContext) {
  ctx.phase('plans');
  const plans = await scenario('plans', () => runPlans(ctx));
  ctx.phase('inbox');
  const inbox = await scenario('inbox', () => runInbox(ctx));
  ctx.phase('pack');
  const pack = await scenario('pack', () => runPack(ctx));
  ctx.phase('timers');
  const timers = await scenario('timers', () => runTimers(ctx, Number(args.timers)));
  ctx.phase('capture warm-up');
  const capture = await scenario('capture', () =>
    runCapture(ctx, {
      seconds: args.quick ? 5 : Number(args['capture-seconds']),
      rounds: args.quick ? 1 : Number(args.rounds),
      connections: [50, 10],
      reference: referenceOf(args.reference),
    }),
  );
  return { plans, inbox, pack, timers, capture };
}

/**
 * The run's record in bench/results/runs/ (git ignores it); the committed files are only the
 * latest per scale: latest-<scale>.json for a complete run on fresh data, partial-<scale>.json
 * for a subset that was asked to update the doc (BENCH_UPDATE_DOC=1). The doc cites the committed file.
 */
function publish(results: Results) {
  const complete = only.size === SCENARIOS.length && !args.reuse && !args.quick;
  mkdirSync(`${REPO_ROOT}bench/results/runs`, { recursive: true });
  const stampOf = results.finishedAt.replace(/[:.]/g, '-');
  const file = `${REPO_ROOT}bench/results/runs/${complete ? '' : 'partial-'}${scale!.name}-${stampOf}.json`;
  writeResults(file, results);
  log(`wrote ${file}`);
  if (complete || process.env.BENCH_UPDATE_DOC === '1') {
    const cited = `bench/results/${complete ? 'latest' : 'partial'}-${scale!.name}.json`;
    writeResults(`${REPO_ROOT}${cited}`, results);
    // A complete run supersedes a subset's figures for the scale.
    if (complete) rmSync(`${REPO_ROOT}bench/results/partial-${scale!.name}.json`, { force: true });
    updateDoc(`${REPO_ROOT}docs/performance.md`, scale!.name, markdown(results, cited));
    log(`wrote ${cited} and updated docs/performance.md`);
  }
  for (const goal of results.goals) log(`  ${goal.status.padEnd(12)} ${goal.goal}: ${goal.measured}`);
}

async function main() {
  log(`scale ${scale!.name}: ${args.reuse ? 'reusing' : 'creating'} ${databaseName}`);
  const databaseUrl = args.reuse ? databaseUrl_(databaseName) : await createBenchDatabase(databaseName);
  const target: Target = { databaseUrl, redisUrl, queuePrefix: `wsbbench${stamp}` };
  const period = periodFor(scale!, started);
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  let sampler: ReturnType<typeof rssSampler> | null = null;
  try {
    const generation = args.reuse ? null : await generateData(databaseUrl, period);
    log('compiling the service (npm run build), as deployed');
    buildService();
    const apiPort = await freePort();
    api = startApi(target, apiPort);
    await waitHealthy(api, apiPort, 60_000);
    sampler = rssSampler(api.pid);
    const people = await findPeople(databaseUrl);
    const phase = (name: string) => sampler?.phase(name);
    const ctx: BenchContext = {
      scale: scale!,
      period,
      databaseName,
      databaseUrl,
      target,
      api,
      apiPort,
      people,
      log,
      quick: args.quick,
      phase,
    };
    const figures = await runScenarios(ctx);
    sampler.stop();
    const finished = new Date();
    const partial: Omit<Results, 'goals'> = {
      scale: scale!,
      period,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      totalSeconds: (finished.getTime() - started.getTime()) / 1000,
      machine: await machine(databaseUrl),
      generation,
      ...figures,
      rss: sampler.summary(),
      load,
    };
    publish({ ...partial, goals: evaluateGoals(partial) });
  } finally {
    sampler?.stop();
    if (api) await stopChild(api);
    await cleanQueues(target).catch((error: unknown) => log(`could not clean queues: ${String(error)}`));
    if (!keep) {
      await dropBenchDatabase(databaseName);
      log(`dropped ${databaseName}`);
    } else log(`kept ${databaseName}`);
  }
}

/** The run's own queue prefix: nothing of it stays in Redis. */
async function cleanQueues(target: Target) {
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, {
      connection: redisOptions(target.redisUrl, 'producer') as ConnectionOptions,
      prefix: target.queuePrefix,
    });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

process.once('SIGINT', () => {
  if (keep) process.exit(130);
  log('interrupted: dropping the bench database');
  void dropBenchDatabase(databaseName).finally(() => process.exit(130));
});

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
