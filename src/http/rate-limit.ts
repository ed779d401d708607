import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RateLimitRule {
  /** Requests allowed per window; 0 turns the rule off. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in Redis, so limits hold across every API process. When Redis cannot
 * be reached the limiter lets requests through: capture must never fail because of Redis.
 */
export function createRateLimiter(redis: Redis, prefix: string, logger: Logger) {
  let warned = false;
  return {
    async hit(rule: RateLimitRule, bucket: string, key: string): Promise<RateLimitDecision> {
      if (rule.limit <= 0) return { allowed: true, retryAfterSeconds: 0 };
      const window = Math.floor(Date.now() / 1000 / rule.windowSeconds);
      const redisKey = `${prefix}:rl:${bucket}:${key}:${window}`;
      try {
        if (redis.status !== 'ready') throw new Error('Redis is not connected');
        const [[, count]] = (await redis
          .multi()
          .incr(redisKey)
          .expire(redisKey, rule.windowSeconds + 1)
          .exec()) as [[Error | null, number]];
        warned = false;
        const retryAfterSeconds = (window + 1) * rule.windowSeconds - Math.floor(Date.now() / 1000);
        return { allowed: count <= rule.limit, retryAfterSeconds: Math.max(1, retryAfterSeconds) };
      } catch (error) {
        if (!warned) logger.warn({ err: error }, 'rate limiter cannot reach Redis; not limiting');
        warned = true;
        return { allowed: true, retryAfterSeconds: 0 };
      }
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
