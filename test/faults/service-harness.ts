/**
 * The service as deployed (`node --import tsx src/main.ts`), listening on a real port, and a
 * plain HTTP client for it: for tests that kill, stop or overload a real process.
 * Shared by the fault and security tests (not a test file itself).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestContext, PLATFORM_TOKEN, type TestContext } from '../helpers/context.js';
import { putPolicy, sleep } from '../helpers/escalation.js';
import { createOrganisation, type Organisation } from '../helpers/fixtures.js';
import {
  freePort,
  killAllChildren,
  spawnService,
  targetEnv,
  waitHealthy,
  withTimeout,
  type ChildHandle,
  type ServiceTarget,
  type WorkerProcessTarget,
} from '../helpers/processes.js';
import { startPrivateRedis, stoppedPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { climbOncePolicy } from './chain-checks.js';

export interface FaultSetupOptions {
  /** 'stopped': nothing listens on the private Redis's port until the test starts it. */
  redis?: 'running' | 'stopped';
  /** Acknowledge deadline of the climb-once policy (chain-checks.ts). */
  ackSeconds: number;
  /** Which wards get that policy (default: the first). */
  policyOn?: 'first-ward' | 'every-ward';
  /** Stop the test context's own outbox relay, so only the service processes relay. */
  stopRelay?: boolean;
}

/** What a fault test works on; filled in by its beforeAll. */
export interface FaultSetup {
  /** A redis-server of this file's own, which the test may stop, flush or restart. */
  redis: PrivateRedis;
  /** A database clone, queues on the private Redis, the outbox relay and the app (no workers). */
  ctx: TestContext;
  org: Organisation;
  /** Where spawned service and worker processes point: the same database, Redis and queues. */
  target: WorkerProcessTarget;
  /** Worker connections on the escalation-steps queue (BullMQ), to wait for spawned workers. */
  workerConnections: () => Promise<number>;
}

/**
 * The set-up the fault tests share, as beforeAll and afterAll hooks of the calling file or
 * describe block: a private Redis, a test context on it, an organisation, and the climb-once
 * escalation policy. Afterwards every service process still running is killed, Redis is brought
 * back (closing the context talks to it), the context is closed and the Redis stopped.
 */
export function useFaultSetup(options: FaultSetupOptions): FaultSetup {
  const setup = {} as FaultSetup;
  beforeAll(async () => {
    setup.redis = options.redis === 'stopped' ? await stoppedPrivateRedis() : await startPrivateRedis();
    setup.ctx = await createTestContext({ REDIS_URL: setup.redis.url });
    if (options.stopRelay) await setup.ctx.relay.stop();
    setup.org = await createOrganisation(setup.ctx.app);
    const wards = options.policyOn === 'every-ward' ? setup.org.wards : setup.org.wards.slice(0, 1);
    for (const ward of wards)
      await putPolicy(setup.ctx, setup.org, ward.id, climbOncePolicy(setup.org, options.ackSeconds));
    setup.target = {
      databaseUrl: setup.ctx.config.databaseUrl!,
      redisUrl: setup.redis.url,
      queuePrefix: setup.ctx.config.queuePrefix,
      bootstrapAdminToken: PLATFORM_TOKEN,
    };
    setup.workerConnections = () => setup.ctx.queues.get('escalation-steps').getWorkersCount();
  });

  afterAll(async () => {
    await killAllChildren('service'); // even when a test failed half-way
    await setup.redis?.start().catch(() => undefined);
    await withTimeout(setup.ctx?.close() ?? Promise.resolve(), 30_000, 'the test context to close').catch(
      (error: unknown) => console.error(error),
    );
    await setup.redis?.stop();
  });
  return setup;
}

/**
 * POST /v1/briefings to a service process; the answer must be 201 with an escalation on every
 * problem and risk (the fault tests raise only high-risk ones). Returns the escalation ids.
 */
export async function postEscalatingBriefing(baseUrl: string, token: string, body: unknown): Promise<string[]> {
  const res = await sendJson(baseUrl, 'POST', '/v1/briefings', token, body);
  expect(res.status, res.body).toBe(201);
  const items = (JSON.parse(res.body) as { items: { kind: string; escalation: { id: string } | null }[] }).items;
  return items
    .filter((item) => item.kind !== 'good_practice')
    .map((item) => {
      expect(item.escalation).not.toBeNull();
      return item.escalation!.id;
    });
}

export interface RunningService {
  handle: ChildHandle;
  port: number;
  baseUrl: string;
  /** Resolves once GET /health answers 200; fails at once with the child's stderr if it exits. */
  healthy(timeoutMs?: number): Promise<void>;
}

export interface SpawnServiceOptions {
  role: 'api' | 'worker' | 'all';
  env?: Record<string, string>;
  /** Preload test/security/heap-probe.mjs and run with --expose-gc (see heapAfterGc). */
  heapProbe?: boolean;
}

const HEAP_PROBE = fileURLToPath(new URL('../security/heap-probe.mjs', import.meta.url));

/**
 * One service process on its own port. Rate limits are off (these tests send far more than a
 * person would), logs are at warn, and every webhook is kept on the loopback interface.
 */
export async function spawnApiService(target: ServiceTarget, options: SpawnServiceOptions): Promise<RunningService> {
  const port = await freePort();
  const handle = spawnService({
    nodeArgs: options.heapProbe ? ['--expose-gc', '--import', HEAP_PROBE] : [],
    env: {
      ROLE: options.role,
      ...targetEnv(target, PLATFORM_TOKEN),
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_FAILURE_LIMIT_PER_MINUTE: '0',
      WRITE_LIMIT_PER_MINUTE: '0',
      WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
      WORKER_CONCURRENCY: '4',
      ...options.env,
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    handle,
    port,
    baseUrl,
    healthy: (timeoutMs = 30_000) => waitHealthy(handle, port, timeoutMs),
  };
}

export interface SendOptions {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as is (a string as UTF-8). */
  body?: string | Buffer;
  /** Abort and report `timeout` after this long (default 10 s). */
  timeoutMs?: number;
  /** A new connection for this request (no keep-alive), so a refusal is unambiguous. */
  fresh?: boolean;
  /** Send from this loopback address (e.g. 127.0.0.2), to be another client. */
  localAddress?: string;
}

export interface SendResult {
  /** 0 when no HTTP answer came back. */
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** ECONNREFUSED, ECONNRESET, timeout...: set when no HTTP answer came back. */
  error?: string;
  ms: number;
}

/** One HTTP request with full control of the bytes; never throws. */
export function send(baseUrl: string, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<SendResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: performance.now() - started });
    };
    const body =
      options.body === undefined
        ? undefined
        : Buffer.isBuffer(options.body)
          ? options.body
          : Buffer.from(options.body, 'utf8');
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest(
        `${baseUrl}${options.path}`,
        {
          method: options.method,
          headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
          ...(options.fresh || options.localAddress ? { agent: false } : {}),
          ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error: NodeJS.ErrnoException) =>
            done({ status: 0, headers: res.headers, body: '', error: error.code ?? error.message }),
          );
        },
      );
    } catch (error) {
      done({ status: 0, headers: {}, body: '', error: `request not sent: ${(error as Error).message}` });
      return;
    }
    req.setTimeout(options.timeoutMs ?? 10_000, () => {
      done({ status: 0, headers: {}, body: '', error: 'timeout' });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ status: 0, headers: {}, body: '', error: error.code ?? error.message }),
    );
    req.end(body);
  });
}

/** A JSON request with a bearer token. */
export function sendJson(
  baseUrl: string,
  method: string,
  path: string,
  token: string | undefined,
  payload?: unknown,
  extra: Partial<SendOptions> = {},
) {
  return send(baseUrl, {
    method,
    path,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra.headers,
    },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
    ...(extra.fresh ? { fresh: true } : {}),
    ...(extra.localAddress ? { localAddress: extra.localAddress } : {}),
  });
}

/** One HTTP/1.1 answer as raw text (status line, headers, body), as a SendResult. */
export function parseRawAnswer(data: string, ms: number): SendResult {
  const [head = '', ...rest] = data.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n'), ms };
}

/** A raw request through a fresh socket (for what an HTTP client library would not send). */
export function sendRaw(baseUrl: string, text: string): Promise<SendResult> {
  const { port } = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseRawAnswer(data, performance.now() - started)));
    socket.end(text);
    setTimeout(() => socket.destroy(), 5_000).unref();
  });
}

export interface HeapSample {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
}

/**
 * Asks a service started with `heapProbe` for its memory after a full garbage collection
 * (SIGUSR2; the probe answers on stderr with one `HEAP {...}` line).
 */
export async function heapAfterGc(service: RunningService, timeoutMs = 10_000): Promise<HeapSample> {
  const before = service.handle
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('HEAP ')).length;
  service.handle.child.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = service.handle
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('HEAP '));
    if (lines.length > before) return JSON.parse(lines[lines.length - 1]!.slice(5)) as HeapSample;
    if (!service.handle.isRunning())
      throw new Error(`service exited while sampling its heap:\n${service.handle.stderr().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('the heap probe did not answer');
    await sleep(20);
  }
}

/**
 * A connection to the test's own database (never another), for faults the test causes there:
 * terminating its other connections, holding locks.
 */
export async function ownDatabaseAdmin(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  return {
    client,
    /** pg_terminate_backend on every other connection to this test's database; how many. */
    terminateOthers: async () => {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from (
           select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid()
         ) terminated`,
      );
      return rows[0]?.n ?? 0;
    },
    /** Other backends of this database waiting on a lock right now. */
    waitingOnLocks: async () => {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`,
      );
      return rows[0]?.n ?? 0;
    },
    /** Other backends of this database waiting for a lock on that table right now. */
    waitingOnTable: async (table: string) => {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation
         where l.database = (select oid from pg_database where datname = current_database())
           and c.relname = $1 and not l.granted`,
        [table],
      );
      return rows[0]?.n ?? 0;
    },
    close: () => client.end().catch(() => undefined),
  };
}

const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'requestId'] as const;

/** Why an answer is not a valid problem document for its status, or null when it is one. */
export function problemDefect(res: SendResult): string | null {
  const contentType = String(res.headers['content-type'] ?? '');
  if (!/^application\/problem\+json/.test(contentType)) return `content-type ${contentType || '(none)'}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return 'body is not JSON';
  }
  for (const field of PROBLEM_FIELDS) {
    if (body[field] === undefined) return `no ${field}`;
  }
  if (body.status !== res.status) return `status ${String(body.status)} in a ${res.status} answer`;
  if (typeof body.type !== 'string' || !/^https?:\/\//.test(body.type)) return 'type is not a URI';
  if (typeof body.title !== 'string' || typeof body.detail !== 'string') return 'title/detail not strings';
  if (body.requestId !== res.headers['x-request-id']) return 'requestId differs from x-request-id';
  return null;
}

/** Internals that must never reach a client: stack frames, file paths, SQL, driver messages. */
export const LEAK_PATTERNS: [string, RegExp][] = [
  ['stack frame', /\n\s+at |\bat [\w.<>]+ \(|\bat (file:|node:|\/)/],
  ['source path', /node_modules|\.ts:\d+|\/src\//],
  ['SQL', /\bselect\b[\s\S]{0,200}\bfrom\b|\binsert into\b|\bupdate "\w+" set\b|\bdelete from\b/i],
  // PostgreSQL's own wording and catalogue names, quotes as they appear in JSON too. Not a bare
  // "pg_": random credentials in a 201 answer (a new token) contain it about once in two thousand.
  [
    'database error',
    /violates|syntax error|SQLSTATE|relation \\?"|column \\?"[^"\\]*\\?" does not exist|invalid input syntax|value too long for type|current transaction is aborted|could not serialize|deadlock detected|\bpg_(?:catalog|class|namespace|attribute|constraint|index|locks|stat\w*|toast\w*|temp\w*|advisory\w*|try_advisory\w*)\b/i,
  ],
];

export function leaks(text: string): string[] {
  return LEAK_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}
