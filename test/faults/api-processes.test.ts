/**
 * API_PROCESSES: the API as a cluster of processes on one port. Two processes serve a keyed
 * briefing and the health checks, and SIGTERM stops every one of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nextDate, sleep } from '../helpers/escalation.js';
import { withTimeout } from '../helpers/processes.js';
import { send, sendJson, spawnApiService, useFaultSetup } from './service-harness.js';

const setup = useFaultSetup({ ackSeconds: 3600 });

/** The copies of the service `pid` forked (its children running src/main.ts; tsx adds esbuild's), from /proc. */
function apiProcessesOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`)
    .flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    )
    .filter((child) => {
      try {
        return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('src/main.ts');
      } catch {
        return false;
      }
    });
}

describe('API_PROCESSES', () => {
  it('serves from two processes on one port and stops them all on SIGTERM', { timeout: 180_000 }, async () => {
    const api = await spawnApiService(setup.target, { role: 'api', env: { API_PROCESSES: '2' } });
    await api.healthy(120_000);
    const deadline = Date.now() + 60_000;
    while (apiProcessesOf(api.handle.pid).length < 2 && Date.now() < deadline) await sleep(200);
    const workers = apiProcessesOf(api.handle.pid);
    expect(workers).toHaveLength(2);

    for (let i = 0; i < 6; i++) expect((await send(api.baseUrl, { method: 'GET', path: '/health' })).status).toBe(200);
    const { org } = setup;
    const ward = org.wards[0]!;
    const body = { wardId: ward.id, date: nextDate(), shift: 'day', held: true, items: [] };
    const recorded = await sendJson(api.baseUrl, 'POST', '/v1/briefings', ward.deviceToken, body, {
      headers: { 'idempotency-key': 'cluster-1' },
    });
    expect(recorded.status).toBe(201);
    const exit = await api.handle.kill('SIGTERM', 60_000);
    expect(exit.code).toBe(0);
    await withTimeout(
      (async () => {
        while (workers.some((pid) => readdirSync('/proc').includes(String(pid)))) await sleep(100);
      })(),
      10_000,
      'the API processes to exit',
    );
  });
});
