import { it, expect } from 'vitest';
import { createTestContext } from '../helpers/context.js';
import { startPrivateRedis } from '../helpers/redis-server.js';

it('scratch', async () => {
  const redis = await startPrivateRedis();
  const ctx = await createTestContext({ REDIS_URL: redis.url });
  const q = ctx.queues.get('escalation-steps');
  const c1 = await q.client;
  console.log('status before', c1.status, (await ctx.queues.get('webhooks').client).status);
  console.log(await q.getWorkersCount());
  console.log('status after', c1.status);
  await new Promise((r) => setTimeout(r, 3000));
  console.log('status later', c1.status, (await ctx.queues.get('webhooks').client).status);
  try { await ctx.close(); } catch (e) { console.log('close failed', e); }
  await redis.stop();
}, 30000);
