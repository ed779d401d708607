import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const environmentSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BOOTSTRAP_ADMIN_TOKEN: z.string().min(24, 'BOOTSTRAP_ADMIN_TOKEN must be at least 24 characters').optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(256 * 1024),
  IDEMPOTENCY_RETENTION_DAYS: z.coerce.number().int().min(7).default(7),
  TRUST_PROXY: booleanFlag.default(false),
});

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  bootstrapAdminToken: string | undefined;
  bodyLimitBytes: number;
  idempotencyRetentionDays: number;
  trustProxy: boolean;
};

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
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    bootstrapAdminToken: e.BOOTSTRAP_ADMIN_TOKEN,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    idempotencyRetentionDays: e.IDEMPOTENCY_RETENTION_DAYS,
    trustProxy: e.TRUST_PROXY,
  };
}
