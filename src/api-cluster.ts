import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';

/**
 * `ROLE=api` with `API_PROCESSES` above 1: this process forks that many copies of itself, which
 * share the port (Node's cluster module hands them connections in turn), so the API uses more
 * than one core while the deployment stays one process to run and one port to reach. The first
 * copy starts alone (it migrates and ensures the platform administrator), the others once it
 * listens. SIGTERM and SIGINT are passed on, and this process exits once they have; if one dies
 * on its own, the others are stopped and this process exits 1 for its supervisor to restart it.
 * Returns false when this process should serve HTTP itself (one process, or a forked copy).
 */
export function forkApiProcesses(config: Config): boolean {
  if (config.role !== 'api' || config.apiProcesses <= 1 || !cluster.isPrimary) return false;
  const workers = new Set<Worker>();
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of workers) worker.process.kill(signal);
  };
  const fork = () => {
    const worker = cluster.fork();
    workers.add(worker);
    worker.once('exit', (code) => {
      workers.delete(worker);
      if (!stopping) {
        console.error(`an API process exited (${code ?? 'signal'}): stopping the others`);
        process.exitCode = 1;
        stopAll('SIGTERM');
      }
      if (workers.size === 0) process.exit();
    });
    return worker;
  };
  fork().once('listening', () => {
    for (let i = 1; i < config.apiProcesses; i++) fork();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stopAll(signal));
  return true;
}
