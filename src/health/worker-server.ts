import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newRequestId, PROBLEM_CONTENT_TYPE } from '../http/errors.js';
import { METRICS_PATH } from '../metrics/http.js';
import type { Scrape } from '../metrics/scrape.js';
import { carriesMetricsToken } from '../metrics/token.js';
import { probe } from './probe.js';

export interface WorkerChecks {
  /** Whether every job consumer is running (false before they start and once they stop). */
  consumersRunning(): boolean;
  pingDatabase(): Promise<void>;
  pingQueue(): Promise<void>;
}

export interface WorkerHealthServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker serves no API, but its orchestrator must still be able to ask whether it works. On
 * PORT it answers two GETs: /health (the process answers) and /ready: 200 while its job
 * consumers run and PostgreSQL and Redis answer, 503 otherwise (also while it starts, and once it
 * stops). A worker that hangs answers neither. Anything else is a 404 or 405 problem document.
 */
export async function startWorkerHealthServer(options: {
  host: string;
  port: number;
  checks: WorkerChecks;
  /** GET /metrics too, behind its token (METRICS_TOKEN); absent: not served. */
  metrics?: { token: string; scrape: Scrape } | undefined;
}): Promise<WorkerHealthServer> {
  const { checks, metrics } = options;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const served = path === '/health' || path === '/ready' || (metrics !== undefined && path === METRICS_PATH);
    if (!served) {
      return problem(
        response,
        path,
        404,
        'Not found',
        `${path} is not served by a worker process; ask /health or /ready${metrics ? ' (or /metrics)' : ''}`,
      );
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return problem(response, path, 405, 'Method not allowed', `${path} answers GET and HEAD only`);
    }
    if (path === '/health') return json(response, 200, { status: 'ok' });
    if (path === METRICS_PATH && metrics) return serveMetrics(request.headers.authorization, response, metrics);
    void Promise.all([probe(() => checks.pingDatabase()), probe(() => checks.pingQueue())]).then(
      ([database, queue]) => {
        const consumers = checks.consumersRunning() ? 'running' : 'stopped';
        const ready = consumers === 'running' && database === 'up' && queue === 'up';
        json(response, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not_ready',
          checks: { consumers, database, queue },
        });
      },
    );
  });
  // Probes come every few seconds; an idle connection has no reason to stay open.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function serveMetrics(
  authorization: string | undefined,
  response: ServerResponse,
  metrics: { token: string; scrape: Scrape },
) {
  if (!carriesMetricsToken(authorization, metrics.token)) {
    response.setHeader('www-authenticate', 'Bearer realm="metrics"');
    return problem(response, METRICS_PATH, 401, 'Authentication required', 'The metrics token is required');
  }
  metrics.scrape.text().then(
    (text) => {
      response.writeHead(200, { 'content-type': metrics.scrape.contentType, 'cache-control': 'no-store' });
      response.end(text);
    },
    () => {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('metrics could not be collected\n');
    },
  );
}

const PROBLEM_TYPES = { 401: 'unauthenticated', 404: 'not-found', 405: 'method-not-allowed' } as const;

function problem(response: ServerResponse, instance: string, status: 401 | 404 | 405, title: string, detail: string) {
  const requestId = newRequestId();
  response.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': requestId });
  const type = `https://safety-briefings.example/problems/${PROBLEM_TYPES[status]}`;
  response.end(JSON.stringify({ type, title, status, detail, instance, requestId }));
}
