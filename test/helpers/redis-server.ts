import { Redis } from 'ioredis';
import { freePort, spawnChild, withTimeout, type ChildHandle } from './processes.js';

export interface PrivateRedis {
  port: number;
  url: string;
  /** The running server process, or null while stopped. */
  process(): ChildHandle | null;
  /** SIGKILL the server (no shutdown save: it runs with --save "" --appendonly no). */
  stop(): Promise<void>;
  /** Start it again on the same port, with the same arguments; resolves once it answers PING. */
  start(): Promise<void>;
  /** A short-lived client for test-side commands (FLUSHALL, CONFIG GET...). */
  command<T = unknown>(name: string, ...args: (string | number)[]): Promise<T>;
}

export interface PrivateRedisOptions {
  /** Extra redis-server arguments, e.g. ['--maxmemory-policy', 'allkeys-lru']. */
  args?: string[];
}

/**
 * A redis-server of this test's own, on a free port, that the test may kill, flush or
 * misconfigure without touching the Redis other test files share. Stop it in afterAll.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  for (let attempt = 0; ; attempt++) {
    const redis = await stoppedPrivateRedis(options);
    try {
      await redis.start();
      return redis;
    } catch (error) {
      // Someone took the port between our probe and the server's bind: try another.
      if (attempt >= 3) throw error;
    }
  }
}

/**
 * A private Redis on a free port that is not running yet (nothing listens there until
 * `start()`), for a process that must start while its Redis is down.
 */
export async function stoppedPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  return onPort(await freePort(), options.args ?? []);
}

function onPort(port: number, extra: string[]): PrivateRedis {
  let current: ChildHandle | null = null;
  const url = `redis://127.0.0.1:${port}`;

  const launch = async () => {
    const child = spawnChild('redis-server', 'redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      ...extra,
    ]);
    current = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!child.isRunning()) {
        current = null;
        throw new Error(
          `redis-server on port ${port} exited: ${child.stdout().slice(-500)} ${child.stderr().slice(-500)}`,
        );
      }
      if (await answersPing(url)) return;
      if (Date.now() > deadline) {
        await child.kill();
        current = null;
        throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    port,
    url,
    process: () => current,
    stop: async () => {
      const child = current;
      current = null;
      if (child) await child.kill('SIGKILL');
    },
    start: async () => {
      if (current?.isRunning()) return;
      await launch();
    },
    command: async <T>(name: string, ...args: (string | number)[]) => {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      client.on('error', () => {});
      try {
        await withTimeout(client.connect(), 5_000, `connecting to redis on port ${port}`);
        return (await withTimeout(client.call(name, ...args), 5_000, `redis ${name}`)) as T;
      } finally {
        client.disconnect();
      }
    },
  };
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
