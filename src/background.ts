import type { Logger } from 'pino';

export interface Periodic {
  /** Runs now (or waits for the run in progress); never throws: failures are logged. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A task every process runs in the background every `intervalMs`, one run at a time. A failure
 * is logged once, with its recovery, and the task is simply tried again at the next tick: what
 * these tasks do is kept in PostgreSQL until they succeed.
 */
export function startPeriodic(task: {
  name: string;
  intervalMs: number;
  logger: Logger;
  run: () => Promise<void>;
}): Periodic {
  let running: Promise<void> | null = null;
  let failing = false;
  let stopped = false;
  const runNow = () =>
    (running ??= task
      .run()
      .then(
        () => {
          if (failing) task.logger.info(`${task.name} recovered`);
          failing = false;
        },
        (error: unknown) => {
          if (!failing)
            task.logger.warn({ err: error }, `${task.name} failed; trying again every ${task.intervalMs / 1000} s`);
          failing = true;
        },
      )
      .finally(() => {
        running = null;
      }));
  const timer = setInterval(() => {
    if (!stopped) void runNow();
  }, task.intervalMs);
  timer.unref();
  return {
    runNow,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
