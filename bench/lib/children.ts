/** The processes under test: the service (as deployed), the baseline server, worker processes. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import {
  REPO_ROOT,
  spawnChild,
  spawnService,
  targetEnv,
  type ChildHandle,
  type ServiceTarget,
} from '../../test/helpers/processes.js';

export const BENCH_ADMIN_TOKEN = 'wsb-bench-platform-admin-token-0123456789';

/** The bench database, Redis and queue prefix the service processes point at. */
export type Target = ServiceTarget;

/** Compiles the service as `npm start` and the container image do, once per run. */
export function buildService() {
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
}

/** `node dist/main.js` as `npm start` runs it (see buildService), with only the environment given (plus PATH and HOME). */
export function startService(target: Target, env: Record<string, string>, cwd?: string): ChildHandle {
  // Node's options as `npm start` gives them (the heap limit); then, for profiling under the
  // bench's load, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = [...startNodeArgs(cwd), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  return spawnService({
    kind: env.ROLE ?? 'service',
    entry: 'compiled',
    nodeArgs,
    env: { ...targetEnv(target, BENCH_ADMIN_TOKEN), ...env },
    ...(cwd ? { cwd } : {}),
  });
}

/** The options between `node` and `dist/main.js` in the start script of this checkout, or of `cwd`'s (a reference build). */
function startNodeArgs(cwd?: string): string[] {
  const root = cwd ? `${cwd.replace(/\/$/, '')}/` : REPO_ROOT;
  const start: string = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).scripts.start;
  const [node, ...args] = start.split(' ');
  if (node !== 'node' || args.pop() !== 'dist/main.js') throw new Error(`unexpected start script: ${start}`);
  return args;
}

/** The API as deployed; `cwd` runs another checkout's build (dist/main.js) instead of this one's. */
export function startApi(target: Target, port: number, cwd?: string): ChildHandle {
  return startService(
    target,
    {
      // The service's own setting (README), e.g. BENCH_API_PROCESSES=2 for one process per core here.
      ...(process.env.BENCH_API_PROCESSES ? { API_PROCESSES: process.env.BENCH_API_PROCESSES } : {}),
      ROLE: 'api',
      PORT: String(port),
      // Raised for the run through their documented settings (README, "Running it for real").
      WRITE_LIMIT_PER_MINUTE: '0',
      AUTH_FAILURE_LIMIT_PER_MINUTE: '0',
    },
    cwd,
  );
}

export function startWorker(target: Target): ChildHandle {
  return startService(target, { ROLE: 'worker', PORT: '0' }); // its health port, on any free port
}

export function startBaseline(databaseUrl: string, port: number, kind: 'bare' | 'equal-work'): ChildHandle {
  return spawnChild(`baseline ${kind}`, process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      BASELINE: kind,
    },
  });
}

/** Resident set size of a process, from /proc/<pid>/status (Linux), in MB; null if unreadable. */
export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * A process's CPU times from /proc/<pid>/stat, in ms: its own (user + system) and its reaped
 * children's (user + system). Throws if the process is gone.
 */
function statCpuMs(pid: number | string): { own: number; children: number } {
  // The fields after the command name (which may hold spaces) start at the state, field 3; utime,
  // stime, cutime and cstime are fields 14-17 of stat(5).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 15)
    .map(Number);
  const ms = (n: number) => (n * 1000) / CLOCK_TICKS;
  return { own: ms(ticks[0]! + ticks[1]!), children: ms(ticks[2]! + ticks[3]!) };
}

/** CPU time (user + system) a process has used, in ms; null if unreadable. */
export function cpuMs(pid: number): number | null {
  try {
    return statCpuMs(pid).own;
  } catch {
    return null;
  }
}

/** The CPU time of a process and all its descendants (e.g. a cluster's workers), in ms. */
export function treeCpuMs(pid: number): number {
  let total = cpuMs(pid) ?? 0;
  for (const child of childrenOf(pid)) total += treeCpuMs(child);
  return total;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * CPU time (user + system) of the local PostgreSQL server, in ms: its live processes (backends,
 * WAL writer, checkpointer, autovacuum), which a request's writes keep busy after its answer,
 * and the backends that have ended (the postmaster reaped them: its children's time).
 */
export function databaseCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const { own, children } = statCpuMs(entry);
      total += own + children;
    } catch {
      continue; // ended between the listing and the read: the postmaster's children's time holds it
    }
  }
  return total;
}

/** The machine's CPU time since boot, busy and in all, from /proc/stat, in ms. */
export function machineCpuMs(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: ((total - idle) * 1000) / CLOCK_TICKS, total: (total * 1000) / CLOCK_TICKS };
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Samples a process's RSS every `everyMs` into named phases, so each phase has its own peak. */
export function rssSampler(pid: number, everyMs = 250) {
  const phases = new Map<string, number[]>();
  let current = 'idle';
  const timer = setInterval(() => {
    const mb = rssMb(pid);
    if (mb === null) return;
    phases.set(current, [...(phases.get(current) ?? []), mb]);
  }, everyMs);
  timer.unref();
  return {
    phase(name: string) {
      current = name;
    },
    summary() {
      return Object.fromEntries(
        [...phases].map(([name, samples]) => [
          name,
          { samples: samples.length, maxMb: round(Math.max(...samples)), lastMb: round(samples[samples.length - 1]!) },
        ]),
      );
    },
    stop: () => clearInterval(timer),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

export async function stopChild(child: ChildHandle) {
  await child.kill('SIGTERM', 20_000).catch(() => child.kill('SIGKILL'));
}
