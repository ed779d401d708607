/**
 * The container's health check, the same command for every role (`node dist/healthcheck.js`):
 * asks the service process in this container for GET /ready on its PORT, which the API answers
 * (the database can be reached) and so does a worker (its job consumers run, PostgreSQL and
 * Redis answer: src/health/worker-server.ts). Exit 0 on a 200 within the timeout; otherwise 1,
 * with the reason on stderr (docker keeps it in `docker inspect`). A stopped or hung process
 * answers nothing, so it fails too. Loads nothing of the service but its configuration.
 */
import { request } from 'node:http';
import { ConfigError, loadConfig } from './config.js';

const TIMEOUT_MS = 3_000;

/** Where to reach a process listening on `host`: loopback for the wildcard addresses. */
export function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

export function checkReady(
  host: string,
  port: number,
  timeoutMs = TIMEOUT_MS,
): Promise<{ ok: boolean; reason: string }> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/ready`;
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1_000) body += chunk;
      });
      res.on('end', () =>
        resolve({ ok: res.statusCode === 200, reason: `GET ${url} answered ${res.statusCode} ${body.slice(0, 300)}` }),
      );
      res.on('error', (error) => resolve({ ok: false, reason: `GET ${url}: ${error.message}` }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: `GET ${url}: no answer within ${timeoutMs} ms` });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, reason: `GET ${url}: ${error.code ?? error.message}` }),
    );
    req.end();
  });
}

async function main() {
  let port: number;
  let host: string;
  try {
    ({ port, host } = loadConfig());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const { ok, reason } = await checkReady(probeHost(host), port);
  if (ok) process.exit(0);
  console.error(`not healthy: ${reason}`);
  process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`health check failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
