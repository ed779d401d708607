import { z } from 'zod';
import { DEFAULT_TUNING, type Tuning } from './deps.js';
import { DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, type TokenLifetimes } from './domain/token-lifetime.js';

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** A whole number written in decimal digits (no blanks, hex or exponents). */
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const decimal = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const environmentSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REPORTS_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  PORT: integer(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BOOTSTRAP_ADMIN_TOKEN: z.string().min(24, 'BOOTSTRAP_ADMIN_TOKEN must be at least 24 characters').optional(),
  BODY_LIMIT_BYTES: integer(1).default(256 * 1024),
  IDEMPOTENCY_RETENTION_DAYS: integer(7).default(7),
  TRUST_PROXY: booleanFlag.default(false),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  API_PROCESSES: integer(1, 64).default(1),
  // A name, or a name in one pair of braces: a Redis Cluster hash tag such as {wsb}, so that all
  // keys of a queue hash to one slot (BullMQ's scripts use several of them at once). Never ':'
  // (BullMQ's key separator), blanks, glob characters or unbalanced braces.
  QUEUE_PREFIX: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9_-]{1,32}|\{[A-Za-z0-9_-]{1,32}\})$/,
      'letters, digits, _ or - (1-32), optionally in braces as a Redis Cluster hash tag: {wsb}',
    )
    .default('wsb'),
  WORKER_CONCURRENCY: integer(1, 200).default(10),
  WORKER_STALLED_INTERVAL_MS: integer(1_000).default(30_000),
  RECONCILE_INTERVAL_SECONDS: integer(1).default(60),
  OUTBOX_RELAY_INTERVAL_MS: integer(50).default(1_000),
  WEBHOOK_TIMEOUT_MS: integer(100).default(10_000),
  WEBHOOK_RETRY_DELAY_MS: integer(10).default(5_000),
  WEBHOOK_ALLOW_HTTP_LOOPBACK: booleanFlag.default(false),
  AUTH_FAILURE_LIMIT_PER_MINUTE: integer(0).default(30),
  WRITE_LIMIT_PER_MINUTE: integer(0).default(600),
  CORS_ORIGINS: z.string().default(''),
  REPEAT_SIMILARITY_THRESHOLD: decimal(0.05, 1).default(DEFAULT_TUNING.repeatSimilarity),
  PERSISTENT_MIN_RAISED: integer(2).default(DEFAULT_TUNING.persistentMinRaised),
  PERSISTENT_MIN_DAYS_OPEN: integer(1).default(DEFAULT_TUNING.persistentMinDays),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  SMTP_HOST: z.string().trim().min(1).optional(),
  SMTP_PORT: integer(1, 65535).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
  SMTP_SECURE: booleanFlag.optional(),
  SMTP_FROM: z.string().trim().min(3).optional(),
  DIGEST_TIME: z
    .string()
    .trim()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (24-hour, UK time)')
    .default('07:00'),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'printable characters without blanks')
    .min(24, 'METRICS_TOKEN must be at least 24 characters')
    .optional(),
  // Read by the tracing set-up before the service starts (src/tracing/register.ts); checked here
  // so that a malformed address stops the process with a message naming it.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  STAFF_TOKEN_DAYS: integer(1, MAX_TOKEN_DAYS.staff).default(DEFAULT_TOKEN_DAYS.staff),
  WARD_DEVICE_TOKEN_DAYS: integer(1, MAX_TOKEN_DAYS.ward_device).default(DEFAULT_TOKEN_DAYS.ward_device),
  PLATFORM_ADMIN_TOKEN_DAYS: integer(1, MAX_TOKEN_DAYS.platform_admin).default(DEFAULT_TOKEN_DAYS.platform_admin),
  TOKEN_ROTATION_GRACE_SECONDS: integer(0, 7 * 24 * 3600).default(24 * 3600),
  OIDC_ALLOW_HTTP_LOOPBACK: booleanFlag.default(false),
  OIDC_JWKS_COOLDOWN_SECONDS: integer(1, 3600).default(30),
  OIDC_FETCH_TIMEOUT_MS: integer(100, 60_000).default(5_000),
});

export type Config = {
  databaseUrl: string | undefined;
  /** A read replica (hot standby) of DATABASE_URL that reports and exports read; unset: the primary. */
  reportsDatabaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  bootstrapAdminToken: string | undefined;
  bodyLimitBytes: number;
  idempotencyRetentionDays: number;
  trustProxy: boolean;
  /** api serves HTTP, worker consumes jobs, all does both. Every role may enqueue. */
  role: 'api' | 'worker' | 'all';
  /** With ROLE=api: how many processes serve HTTP on the one port (Node's cluster module). */
  apiProcesses: number;
  queuePrefix: string;
  workerConcurrency: number;
  workerStalledIntervalMs: number;
  reconcileIntervalSeconds: number;
  outboxRelayIntervalMs: number;
  webhookTimeoutMs: number;
  webhookRetryDelayMs: number;
  webhookAllowHttpLoopback: boolean;
  tuning: Tuning;
  /** Per client address: failed sign-ins per minute before 429 (0: off). */
  authFailureLimitPerMinute: number;
  /** Per token: writes per minute before 429 (0: off). */
  writeLimitPerMinute: number;
  /** Browser origins allowed by CORS; empty: none. */
  corsOrigins: string[];
  /** Outgoing e-mail (the managers' daily digest); null when no SMTP server is configured. */
  mail: MailConfig | null;
  /** The bearer token of GET /metrics; unset: no process serves metrics. */
  metricsToken: string | undefined;
  /** Where traces are sent (OTLP over HTTP); unset: no traces. */
  otlpEndpoint: string | undefined;
  tokenLifetimes: TokenLifetimes;
  oidc: OidcSettings;
};

export interface MailConfig {
  /** An smtp:// or smtps:// URL, or a host with its port, credentials and TLS choice. */
  transport: { url: string } | { host: string; port: number; secure: boolean; user?: string; password?: string };
  from: string;
  /** When the daily digest is sent, as hour and minute of the trust's day (Europe/London). */
  digestAt: { hour: number; minute: number };
}

/** SMTP_URL or SMTP_HOST turns mail on; then SMTP_FROM is required. */
function mailConfig(e: z.infer<typeof environmentSchema>): MailConfig | null {
  if (!e.SMTP_URL && !e.SMTP_HOST) {
    const stray = (['SMTP_PORT', 'SMTP_USER', 'SMTP_PASSWORD', 'SMTP_SECURE', 'SMTP_FROM'] as const).filter(
      (name) => e[name] !== undefined,
    );
    if (stray.length > 0) throw new ConfigError(`Invalid configuration:\n  ${stray[0]}: needs SMTP_URL or SMTP_HOST`);
    return null;
  }
  if (e.SMTP_URL && e.SMTP_HOST) {
    throw new ConfigError('Invalid configuration:\n  SMTP_HOST: give SMTP_URL or SMTP_HOST, not both');
  }
  if (!e.SMTP_FROM) throw new ConfigError('Invalid configuration:\n  SMTP_FROM: required when mail is on');
  const port = e.SMTP_PORT ?? (e.SMTP_SECURE ? 465 : 587);
  const [hour, minute] = e.DIGEST_TIME.split(':').map(Number) as [number, number];
  return {
    transport: e.SMTP_URL
      ? { url: e.SMTP_URL }
      : {
          host: e.SMTP_HOST!,
          port,
          secure: e.SMTP_SECURE ?? port === 465,
          ...(e.SMTP_USER ? { user: e.SMTP_USER } : {}),
          ...(e.SMTP_PASSWORD ? { password: e.SMTP_PASSWORD } : {}),
        },
    from: e.SMTP_FROM,
    digestAt: { hour, minute },
  };
}

/** How the service reaches organisations' identity providers. */
export interface OidcSettings {
  /** Tests only: also allow issuers on loopback addresses, over http or https. */
  allowHttpLoopback: boolean;
  /** After a refetch of a provider's keys, the least time before another (an unknown key id asks for one). */
  jwksCooldownSeconds: number;
  /** Timeout of each request for a discovery document or a key set. */
  fetchTimeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once at boot; a bad value stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.REPORTS_DATABASE_URL !== undefined && e.DATABASE_URL === undefined) {
    throw new ConfigError(
      'Invalid configuration:\n  REPORTS_DATABASE_URL: needs DATABASE_URL (a replica of the embedded database cannot exist)',
    );
  }
  return {
    databaseUrl: e.DATABASE_URL,
    reportsDatabaseUrl: e.REPORTS_DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    bootstrapAdminToken: e.BOOTSTRAP_ADMIN_TOKEN,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    idempotencyRetentionDays: e.IDEMPOTENCY_RETENTION_DAYS,
    trustProxy: e.TRUST_PROXY,
    role: e.ROLE,
    apiProcesses: e.API_PROCESSES,
    queuePrefix: e.QUEUE_PREFIX,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerStalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    outboxRelayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    webhookRetryDelayMs: e.WEBHOOK_RETRY_DELAY_MS,
    webhookAllowHttpLoopback: e.WEBHOOK_ALLOW_HTTP_LOOPBACK,
    authFailureLimitPerMinute: e.AUTH_FAILURE_LIMIT_PER_MINUTE,
    writeLimitPerMinute: e.WRITE_LIMIT_PER_MINUTE,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    mail: mailConfig(e),
    metricsToken: e.METRICS_TOKEN,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    tokenLifetimes: {
      days: {
        staff: e.STAFF_TOKEN_DAYS,
        ward_device: e.WARD_DEVICE_TOKEN_DAYS,
        platform_admin: e.PLATFORM_ADMIN_TOKEN_DAYS,
      },
      rotationGraceSeconds: e.TOKEN_ROTATION_GRACE_SECONDS,
    },
    oidc: {
      allowHttpLoopback: e.OIDC_ALLOW_HTTP_LOOPBACK,
      jwksCooldownSeconds: e.OIDC_JWKS_COOLDOWN_SECONDS,
      fetchTimeoutMs: e.OIDC_FETCH_TIMEOUT_MS,
    },
    tuning: {
      repeatSimilarity: e.REPEAT_SIMILARITY_THRESHOLD,
      persistentMinRaised: e.PERSISTENT_MIN_RAISED,
      persistentMinDays: e.PERSISTENT_MIN_DAYS_OPEN,
    },
  };
}
