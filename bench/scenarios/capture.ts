/**
 * POST /v1/briefings with five items under load (autocannon), against two baselines on the same
 * database in the same run: the bare one (briefing and items only) and the equal-work one
 * (every row the service writes), and, when asked, another build of the service (a reference,
 * e.g. an earlier commit's). Every request is a new briefing: its own ward and date (dates go
 * back from the day before the generated year, as an import of paper proformas would), its own
 * Idempotency-Key. Rounds alternate the order of the servers to cancel drift.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, waitHealthy, type ChildHandle } from '../../test/helpers/processes.js';
import { databaseCpuMs, machineCpuMs, startApi, startBaseline, stopChild, treeCpuMs } from '../lib/children.js';
import { daysBefore, type BenchContext } from '../lib/context.js';
import { captureBody, ITEMS_PER_CAPTURE } from '../lib/demo-mix.js';
import { tokenFor } from '../lib/generate.js';
import { compare, type CaptureComparison } from './capture-compare.js';
import { recordOne, type Census } from './capture-census.js';

export type { Census } from './capture-census.js';
export type { CaptureComparison } from './capture-compare.js';

export type ServerName = 'service' | 'bare' | 'equal-work' | 'reference';

export interface CannonRun {
  server: ServerName;
  connections: number;
  round: number;
  seconds: number;
  ok: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  transactionsPerRequest: number;
  rowsInsertedPerRequest: number;
  /**
   * CPU time per 2xx answer of the server's processes (for the service's builds, of every build's
   * process until the run's audit events were sealed: see chargedPids), and how busy the whole
   * machine was during the run (both cores).
   */
  serverCpuMsPerRequest: number;
  /**
   * CPU time per 2xx answer of every PostgreSQL server process, over the same span as the
   * server's: the database's share of what a request costs the machine.
   */
  databaseCpuMsPerRequest: number;
  machineBusyPercent: number;
  /** Service runs: audit events still unsealed when the load stopped, and when the sealer had caught up. */
  auditSealing?: { pendingAtEnd: number; sealedAfterMs: number | null };
}

export interface CaptureOptions {
  seconds: number;
  rounds: number;
  connections: number[];
  /** Another checkout whose build (dist/main.js) runs beside the service as `reference`. */
  reference?: { dir: string; label: string } | undefined;
}

export interface CaptureResult {
  itemsPerRequest: number;
  seconds: number;
  rounds: number;
  /** What the reference server was (e.g. a commit), when one ran. */
  reference?: string;
  runs: CannonRun[];
  comparisons: CaptureComparison[];
  census: Census;
}

/** Capture's dates go back from the generated year, never as far as this (the timers' briefings are older). */
const CAPTURE_DATES_FROM = '2010-01-01';

/** Every request across every run gets the next index: its own ward, date and key. */
let nextIndex = 0;

function requestFor(ctx: BenchContext, i: number, run: string) {
  const wards = ctx.people.wards;
  const ward = wards[i % wards.length]!;
  const date = daysBefore(ctx.period.from, 1 + Math.floor(i / wards.length));
  return {
    ward,
    body: captureBody(i, ward.id, date),
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${tokenFor(ward.id)}`,
      'idempotency-key': `bench-${run}-${i}`,
    },
  };
}

async function databaseCounters(client: pg.Client) {
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // statistics are flushed about once a second
  const { rows } = await client.query(
    `SELECT xact_commit::bigint AS commits, tup_inserted::bigint AS inserted FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { commits: Number(rows[0]!.commits), inserted: Number(rows[0]!.inserted) };
}

/**
 * The audit events the service's sealer had not yet sealed when the load stopped, and how long
 * until it had sealed them all (null if not within 60 s).
 */
async function sealingBacklog(client: pg.Client) {
  const pending = async () =>
    Number((await client.query(`SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL`)).rows[0]!.n);
  const started = performance.now();
  const pendingAtEnd = await pending();
  let left = pendingAtEnd;
  while (left > 0 && performance.now() - started < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await pending();
  }
  return { pendingAtEnd, sealedAfterMs: left === 0 ? Math.round(performance.now() - started) : null };
}

/** Waits until no statement of the bench database is running (the last run's stragglers are done). */
async function settle(client: pg.Client) {
  const deadline = Date.now() + 60_000;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    const { rows } = await client.query(
      `SELECT count(*)::int AS busy FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND state NOT IN ('idle')`,
    );
    quiet = rows[0]!.busy === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function cannon(ctx: BenchContext, port: number, connections: number, seconds: number, run: string) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/briefings',
        setupRequest: (request) => {
          const { body, headers } = requestFor(ctx, nextIndex++, run);
          return { ...request, headers, body: JSON.stringify(body) };
        },
      },
    ],
  });
}

interface Server {
  name: ServerName;
  port: number;
  pid: number;
  /** Whether it seals audit events (the service's builds): the run then waits for the sealer. */
  seals: boolean;
}

type Cannon = Awaited<ReturnType<typeof cannon>>;
const round1 = (n: number) => Math.round(n * 10) / 10;

function entryOf(
  server: Server,
  c: number,
  round: number,
  result: Cannon,
  cpu: { server: number; database: number; machineBusy: number; machineTotal: number },
  db: { commits: number; inserted: number },
  sealing: CannonRun['auditSealing'] | null,
): CannonRun {
  const ok = result['2xx'];
  return {
    server: server.name,
    connections: c,
    round,
    seconds: result.duration,
    ok,
    throughput: round1(ok / result.duration),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v?.count ?? 0])),
    transactionsPerRequest: round1(db.commits / Math.max(1, ok)),
    rowsInsertedPerRequest: round1(db.inserted / Math.max(1, ok)),
    serverCpuMsPerRequest: Math.round((cpu.server / Math.max(1, ok)) * 1000) / 1000,
    databaseCpuMsPerRequest: Math.round((cpu.database / Math.max(1, ok)) * 1000) / 1000,
    machineBusyPercent: Math.round((100 * cpu.machineBusy) / Math.max(1, cpu.machineTotal)),
    ...(sealing ? { auditSealing: sealing } : {}),
  };
}

/** A run had refusals: one more request of the same kind, its answer in the log, to say why. */
async function sampleRefusal(ctx: BenchContext, server: Server) {
  const { body, headers } = requestFor(ctx, nextIndex++, `${server.name}-sample-${Date.now().toString(36)}`);
  const answer = await fetch(`http://127.0.0.1:${server.port}/v1/briefings`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  }).then(
    async (res) => `${res.status} ${(await res.text()).slice(0, 500)}`,
    (error: unknown) => String(error),
  );
  ctx.log(`  ${server.name} refused requests; one more answered: ${answer}`);
}

/**
 * The processes whose CPU a run of `server` is charged with: its own; for a build that seals audit
 * events, every such build's process, until the run's events are sealed. Any of them may seal
 * another's events (each polls every second), and the run caused that work wherever it ran.
 */
function chargedPids(servers: Server[], server: Server): number[] {
  return server.seals ? servers.filter((s) => s.seals).map((s) => s.pid) : [server.pid];
}

const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + treeCpuMs(pid), 0);

/** One measured run of one server at one concurrency, after a warm-up, on a quiet database. */
async function measure(
  ctx: BenchContext,
  client: pg.Client,
  { server, charged }: { server: Server; charged: number[] },
  c: number,
  round: number,
  seconds: number,
) {
  const run = `${server.name}-${c}-${round}-${Date.now().toString(36)}`;
  await settle(client);
  await cannon(ctx, server.port, c, 3, `${run}-warm`);
  await settle(client);
  ctx.phase(`capture ${server.name} ${c}`);
  const before = await databaseCounters(client);
  const [cpuBefore, databaseBefore, machineBefore] = [cpuOf(charged), databaseCpuMs(), machineCpuMs()];
  const result = await cannon(ctx, server.port, c, seconds, run);
  const machineAfter = machineCpuMs();
  ctx.phase('between runs');
  const sealing = server.seals ? await sealingBacklog(client) : null;
  const [cpuAfter, databaseAfter] = [cpuOf(charged), databaseCpuMs()];
  const after = await databaseCounters(client);
  const cpu = {
    server: cpuAfter - cpuBefore,
    database: databaseAfter - databaseBefore,
    machineBusy: machineAfter.busy - machineBefore.busy,
    machineTotal: machineAfter.total - machineBefore.total,
  };
  const db = { commits: after.commits - before.commits, inserted: after.inserted - before.inserted };
  const entry = entryOf(server, c, round, result, cpu, db, sealing);
  if (entry.non2xx > 0) await sampleRefusal(ctx, server);
  ctx.log(
    `  capture ${server.name} c=${c} round ${round}: ${entry.throughput} req/s, p50 ${entry.latencyMs.p50} ms, ` +
      `p99 ${entry.latencyMs.p99} ms, non-2xx ${entry.non2xx}, errors ${entry.errors}, ` +
      `${entry.serverCpuMsPerRequest} ms of server CPU a request, ${entry.databaseCpuMsPerRequest} ms of database CPU, ${entry.rowsInsertedPerRequest} rows inserted a request, ` +
      `machine ${entry.machineBusyPercent}% busy` +
      (sealing
        ? `; audit events unsealed at the end ${sealing.pendingAtEnd}, all sealed ${sealing.sealedAfterMs} ms later`
        : ''),
  );
  return entry;
}

/** The baselines (and the reference build), started beside the service for this scenario. */
async function startServers(ctx: BenchContext, reference: CaptureOptions['reference']) {
  const children: ChildHandle[] = [];
  const servers: Server[] = [{ name: 'service', port: ctx.apiPort, pid: ctx.api.pid, seals: true }];
  const start = async (name: ServerName, spawn: (port: number) => ChildHandle, seals: boolean) => {
    const port = await freePort();
    const child = spawn(port);
    children.push(child);
    await waitHealthy(child, port, 60_000);
    servers.push({ name, port, pid: child.pid, seals });
  };
  await start('bare', (port) => startBaseline(ctx.databaseUrl, port, 'bare'), false);
  await start('equal-work', (port) => startBaseline(ctx.databaseUrl, port, 'equal-work'), false);
  if (reference) await start('reference', (port) => startApi(ctx.target, port, reference.dir), true);
  return { servers, stop: () => Promise.all(children.map((child) => stopChild(child))) };
}

export async function runCapture(ctx: BenchContext, options: CaptureOptions): Promise<CaptureResult> {
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  // Start past the dates an earlier capture run on this database used (--reuse). Only capture's
  // own dates count: the timers scenario writes its briefings from 2001 on, and starting below
  // them would send dates the service refuses (before EARLIEST_BRIEFING_DATE).
  const used = await client.query<{ days: number }>(
    `SELECT coalesce($1::date - min(date), 0)::int AS days FROM briefings WHERE date < $1::date AND date >= $2::date`,
    [ctx.period.from, CAPTURE_DATES_FROM],
  );
  nextIndex = Math.max(nextIndex, used.rows[0]!.days * ctx.people.wards.length);
  const { servers, stop } = await startServers(ctx, options.reference);
  const runs: CannonRun[] = [];
  try {
    const census = await recordOne(ctx.databaseUrl, () => requestFor(ctx, nextIndex++, 'census'));
    ctx.log(
      `  census: ${census.statements} statements per request (${census.inTransaction} in an explicit transaction), ` +
        `audit lock held ${census.auditLockHeldMs} ms of ${census.totalMs} ms`,
    );
    const order = options.connections.flatMap((c) => servers.map((server) => ({ server, c })));
    for (let round = 1; round <= options.rounds; round++) {
      // Odd rounds in one order, even rounds in the reverse.
      for (const { server, c } of round % 2 === 1 ? order : [...order].reverse()) {
        runs.push(
          await measure(ctx, client, { server, charged: chargedPids(servers, server) }, c, round, options.seconds),
        );
      }
    }
    return {
      itemsPerRequest: ITEMS_PER_CAPTURE,
      seconds: options.seconds,
      rounds: options.rounds,
      ...(options.reference ? { reference: options.reference.label } : {}),
      runs,
      comparisons: compare(runs, options.connections),
      census,
    };
  } finally {
    await stop();
    await client.end();
  }
}
