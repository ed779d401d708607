/**
 * The baselines the capture benchmark compares the service with, on the same database and pool
 * size (10), in one Fastify route each, POST /v1/briefings:
 * - `BASELINE=bare` (./baseline/bare.ts): the briefing and item rows only, in one transaction;
 * - `BASELINE=equal-work` (./baseline/equal-work.ts): every row the service writes for the same
 *   briefing, in one statement.
 * Neither authenticates, validates, screens free text, keeps Idempotency-Keys or detects repeats.
 *
 *   BASELINE=bare|equal-work DATABASE_URL=... PORT=... node --import tsx bench/baseline-server.ts
 */
import Fastify from 'fastify';
import pg from 'pg';
import { bareHandler } from './baseline/bare.js';
import { equalWorkHandler, prepareEqualWork } from './baseline/equal-work.js';
import { loadWards } from './baseline/wards.js';

const HANDLERS = { bare: bareHandler, 'equal-work': equalWorkHandler };
const kind = (process.env.BASELINE ?? 'bare') as keyof typeof HANDLERS;
if (!HANDLERS[kind]) throw new Error(`BASELINE must be one of ${Object.keys(HANDLERS).join(', ')}`);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const wards = await loadWards(pool);
if (kind === 'equal-work') await prepareEqualWork(pool);
const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/v1/briefings', HANDLERS[kind](pool, wards));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3901) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}
