import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { problemErrorHandler } from '../http/error-handler.js';
import { QUEUE_NAMES, type QueueSet } from '../queue/queues.js';

export const QUEUES_BOARD_PATH = '/admin/queues';

/**
 * Bull Board for the platform administrator only (buildApp sets its routes' access): its queues
 * are shared by every organisation, so an organisation's admin could otherwise read, promote or
 * remove another trust's timers. Organisations see their escalations' timers through the API
 * (an escalation's nextStep). Browsers cannot add a bearer header to the board's own requests,
 * so its routes also accept the token as the password of HTTP Basic auth (any user name). Job
 * payloads hold only ids, never free text.
 */
export async function registerQueuesBoard(app: FastifyInstance, queues: QueueSet) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(queues.get(name), { readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Ward safety briefings queues' } },
  });
  // Bull Board sets an error handler of its own in its plugin. Registered inside a scope of its
  // own, its routes get the service's handler as their route error handler instead, so a refused
  // sign-in, or any failure, is a problem document as on every other route.
  await app.register(async (board) => {
    board.addHook('onRoute', (route) => {
      // Fastify types errorHandler as returning void but awaits the promise an async handler returns.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      route.errorHandler = problemErrorHandler;
    });
    await board.register(serverAdapter.registerPlugin(), { prefix: QUEUES_BOARD_PATH });
  });
}
