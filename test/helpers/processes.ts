/**
 * Child processes for the tests and the bench alike: spawning and killing them, the service as
 * deployed pointed at a database, Redis and queue prefix, a free port, and waiting for health.
 * The one module both `test/` and `bench/` import for this (it imports nothing from vitest).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root, where `src/main.ts` lives. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildHandle {
  /** What the child is ('service', 'redis-server'...), so a test can kill one kind only. */
  kind: string;
  child: ChildProcess;
  pid: number;
  /** Everything the child wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once the child has exited (never rejects). */
  exited: Promise<Exit>;
  isRunning(): boolean;
  /** Sends the signal (SIGKILL by default) and waits for the exit; a no-op once it has exited. */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Every child spawned through this module that has not exited yet. */
const live = new Set<ChildHandle>();

// Safety net: a test file that crashes must not leave children behind.
process.once('exit', () => {
  for (const handle of live) {
    try {
      handle.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/**
 * util-linux `setpriv --pdeathsig KILL` execs the command (same pid) with the kernel set to
 * SIGKILL it when this process dies, so even a test worker that is killed outright (where no
 * 'exit' handler runs) leaves no redis-server or worker process behind.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export function spawnChild(kind: string, command: string, args: string[], options: SpawnOptions = {}): ChildHandle {
  const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', command, ...args]] : [command, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let running = true;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(handle);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      running = false;
      live.delete(handle);
      err += `\nspawn error: ${error.message}`;
      resolve({ code: null, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  const handle: ChildHandle = {
    kind,
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    isRunning: () => running,
    kill: async (signal = 'SIGKILL', timeoutMs = 10_000) => {
      if (running) child.kill(signal);
      return withTimeout(exited, timeoutMs, `process ${child.pid} to exit after ${signal}`);
    },
  };
  live.add(handle);
  return handle;
}

/** Kills (SIGKILL) every child of that kind this test file spawned that is still running. */
export async function killAllChildren(kind: string) {
  const targets = [...live].filter((handle) => handle.kind === kind);
  await Promise.all(targets.map((handle) => handle.kill('SIGKILL').catch(() => undefined)));
}

export interface ServiceProcessOptions {
  /** Environment of the service; PATH and HOME are passed through, nothing else is inherited. */
  env: Record<string, string>;
  /** Node options before the entry point (--expose-gc, a preloaded probe, --cpu-prof...). */
  nodeArgs?: string[];
  /** The TypeScript source through tsx (default), or the compiled build (`npm run build`). */
  entry?: 'source' | 'compiled';
  kind?: string;
  /** Where the entry point is looked up (default: the repository, REPO_ROOT). */
  cwd?: string;
}

/** Runs the service as a process of its own, configured by `env` only. */
export function spawnService(options: ServiceProcessOptions): ChildHandle {
  const entry = options.entry === 'compiled' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  return spawnChild(options.kind ?? 'service', process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
  });
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where a service process points: the database, the Redis and the queue prefix it uses. */
export interface ServiceTarget {
  /** e.g. the test context's database (ctx.config.databaseUrl). */
  databaseUrl: string;
  redisUrl: string;
  /** e.g. the test context's queue prefix, so the child consumes exactly that test's queues. */
  queuePrefix: string;
}

/**
 * The environment that points a service process at its target, with logs at warn and the
 * platform-admin token it ensures exists (24+ characters). Callers add ROLE, PORT and the rest.
 */
export function targetEnv(target: ServiceTarget, bootstrapAdminToken: string): Record<string, string> {
  return {
    DATABASE_URL: target.databaseUrl,
    REDIS_URL: target.redisUrl,
    QUEUE_PREFIX: target.queuePrefix,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_TOKEN: bootstrapAdminToken,
  };
}

export interface WorkerProcessTarget extends ServiceTarget {
  /** A platform-admin token of 24+ characters (the child ensures it exists). */
  bootstrapAdminToken: string;
}

/** A worker process as deployed (ROLE=worker), consuming the given database and queues. */
export function spawnWorkerProcess(target: WorkerProcessTarget, env: Record<string, string> = {}): ChildHandle {
  return spawnService({
    // PORT 0: its health port (/health, /ready) on any free port, so workers never collide.
    env: { ROLE: 'worker', ...targetEnv(target, target.bootstrapAdminToken), PORT: '0', ...env },
  });
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** The status of GET /health on a loopback port; 0 when nothing answered within a second. */
function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/health', timeout: 1_000, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
      })
      .on('error', () => resolve(0));
  });
}

/** Waits until GET /health on the port answers 200, failing at once with the child's stderr if it exits. */
export async function waitHealthy(child: ChildHandle, port: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!child.isRunning())
      throw new Error(`${child.kind} process ${child.pid} exited early:\n${child.stderr().slice(-3000)}`);
    if ((await healthStatus(port)) === 200) return;
    if (Date.now() > deadline) throw new Error(`${child.kind} on port ${port} not healthy after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until `count()` reports `expected` (e.g. BullMQ's worker connections on a queue),
 * failing at once with the child's stderr if one of `children` exits meanwhile.
 */
export async function waitForChildren(
  children: ChildHandle[],
  count: () => Promise<number>,
  expected: number,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => !c.isRunning());
    if (dead) throw new Error(`child process ${dead.pid} exited early:\n${dead.stderr().slice(-2000)}`);
    if ((await count()) === expected) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${expected} worker connection(s); got ${await count()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
