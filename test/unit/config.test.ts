import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/** The ConfigError thrown for this environment (fails the test if none is thrown). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('uses the defaults documented in the README when nothing is set', () => {
    expect(loadConfig({})).toMatchObject({
      databaseUrl: undefined,
      dataDir: './.data',
      redisUrl: 'redis://127.0.0.1:6379',
      port: 3000,
      host: '127.0.0.1',
      logLevel: 'info',
      bootstrapAdminToken: undefined,
      bodyLimitBytes: 262144,
      idempotencyRetentionDays: 7,
      trustProxy: false,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '', TRUST_PROXY: '' })).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      trustProxy: false,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        DATABASE_URL: 'postgresql://app@db.internal:5432/briefings',
        DATA_DIR: '/var/lib/briefings',
        REDIS_URL: 'rediss://cache.internal:6380',
        PORT: '8080',
        HOST: '0.0.0.0',
        LOG_LEVEL: 'warn',
        BOOTSTRAP_ADMIN_TOKEN: 'a'.repeat(24),
        BODY_LIMIT_BYTES: '1048576',
        IDEMPOTENCY_RETENTION_DAYS: '30',
        TRUST_PROXY: 'true',
      }),
    ).toMatchObject({
      databaseUrl: 'postgresql://app@db.internal:5432/briefings',
      dataDir: '/var/lib/briefings',
      redisUrl: 'rediss://cache.internal:6380',
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'warn',
      bootstrapAdminToken: 'a'.repeat(24),
      bodyLimitBytes: 1048576,
      idempotencyRetentionDays: 30,
      trustProxy: true,
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x', TRUST_PROXY: '1' })).toMatchObject({
      trustProxy: true,
    });
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', ' '],
    ['PORT', '0x50'],
    ['DATABASE_URL', 'mysql://app@db/briefings'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://cache:6379'],
    ['LOG_LEVEL', 'verbose'],
    ['BOOTSTRAP_ADMIN_TOKEN', 'short-token'],
    ['BOOTSTRAP_ADMIN_TOKEN', 'x'.repeat(23)],
    ['BODY_LIMIT_BYTES', '0'],
    ['BODY_LIMIT_BYTES', 'lots'],
    ['IDEMPOTENCY_RETENTION_DAYS', '6'],
    ['TRUST_PROXY', 'yes'],
    ['METRICS_TOKEN', 'x'.repeat(23)],
    ['METRICS_TOKEN', `${'x'.repeat(20)} ${'y'.repeat(20)}`],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
  ])('refuses %s=%j with a ConfigError naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
  });

  it('reads the metrics token and the traces endpoint, both unset by default', () => {
    expect(loadConfig({})).toMatchObject({ metricsToken: undefined, otlpEndpoint: undefined });
    expect(
      loadConfig({ METRICS_TOKEN: 'm'.repeat(24), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toMatchObject({ metricsToken: 'm'.repeat(24), otlpEndpoint: 'http://collector:4318' });
  });

  it('reads REPORTS_DATABASE_URL, the replica reports read, only beside DATABASE_URL', () => {
    expect(loadConfig({}).reportsDatabaseUrl).toBeUndefined();
    expect(
      loadConfig({
        DATABASE_URL: 'postgres://app@primary.internal/briefings',
        REPORTS_DATABASE_URL: 'postgres://reader@replica.internal/briefings',
      }).reportsDatabaseUrl,
    ).toBe('postgres://reader@replica.internal/briefings');
    expect(configError({ REPORTS_DATABASE_URL: 'postgres://reader@replica.internal/briefings' }).message).toContain(
      'REPORTS_DATABASE_URL: needs DATABASE_URL',
    );
    expect(
      configError({ DATABASE_URL: 'postgres://app@primary/x', REPORTS_DATABASE_URL: 'mysql://replica/x' }).message,
    ).toContain('REPORTS_DATABASE_URL');
  });

  it('takes a queue prefix as a plain name or as a Redis Cluster hash tag', () => {
    expect(loadConfig({}).queuePrefix).toBe('wsb');
    expect(loadConfig({ QUEUE_PREFIX: 'wsb-prod_2' }).queuePrefix).toBe('wsb-prod_2');
    expect(loadConfig({ QUEUE_PREFIX: '{wsb}' }).queuePrefix).toBe('{wsb}');
    expect(loadConfig({ QUEUE_PREFIX: `{${'a'.repeat(32)}}` }).queuePrefix).toBe(`{${'a'.repeat(32)}}`);
  });

  it.each([
    ...[' ', 'w sb', 'wsb:1', '{wsb:1}', 'wsb*', 'ws?b', '[wsb]'], // blanks, BullMQ's separator, glob characters
    ...['{wsb', 'wsb}', '}wsb{', '{}', '{{wsb}}', '{w}{sb}', 'w{sb}', '{ws}b'], // anything but one tag around the whole name
    ...['a'.repeat(33), `{${'a'.repeat(33)}}`],
  ])('refuses QUEUE_PREFIX=%j', (value) => {
    expect(configError({ QUEUE_PREFIX: value }).message).toContain('QUEUE_PREFIX');
  });

  it('never repeats a secret in the message', () => {
    expect(configError({ BOOTSTRAP_ADMIN_TOKEN: 'hunter2-secret' }).message).not.toContain('hunter2');
    expect(configError({ METRICS_TOKEN: 'hunter2-metrics' }).message).not.toContain('hunter2');
    expect(configError({ DATABASE_URL: 'mysql://app:s3cr3t-pw@db/briefings' }).message).not.toContain('s3cr3t-pw');
  });

  it('names every bad variable at once', () => {
    const message = configError({ PORT: 'abc', LOG_LEVEL: 'loud', REDIS_URL: 'ftp://x' }).message;
    for (const name of ['PORT', 'LOG_LEVEL', 'REDIS_URL']) expect(message).toContain(name);
  });
});

describe('starting the service with a bad configuration', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));

  function start(env: Record<string, string>) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      // Node itself with tsx's loader: one process, so the kill below reaches it (npx and the tsx
      // command each start another process, which kept the pipes open after a kill).
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += String(chunk)));
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      // A process that starts instead of exiting would be a failure; do not wait for it forever.
      // Generous: loading every module through tsx's loader on a machine busy with the rest of
      // the suite once took more than 25 s, and once more than 50 s.
      const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('exits non-zero with a message naming PORT on stderr', { timeout: 120_000 }, async () => {
    const result = await start({ PORT: 'abc' });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(/Invalid configuration/);
    expect(result.stderr).toMatch(/PORT/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(result.stdout).not.toMatch(/Platform administrator token/);
  });

  it('exits non-zero naming DATABASE_URL without printing its password', { timeout: 120_000 }, async () => {
    const result = await start({ DATABASE_URL: 'mysql://app:s3cr3t-pw@db/briefings' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/DATABASE_URL/);
    expect(result.stderr + result.stdout).not.toContain('s3cr3t-pw');
  });
});
