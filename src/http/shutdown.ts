import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The requests `app.close()` waits for (gracefulClosePlugin). */
    requestsInFlight: RequestsInFlight;
  }
}

interface RequestsInFlight {
  /**
   * A request whose client went away is never answered (no `onResponse`): it is finished once
   * the last `onSend` hook has run (the Idempotency-Key record is written by then) and what
   * is left, writing the answer, has ended one way or the other.
   */
  finishOnceSent(request: FastifyRequest, reply: FastifyReply): void;
}

/** What a client is told to wait before retrying while this process shuts down. */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

const FORGET_ABANDONED_AFTER_MS = 5 * 60_000;

export interface GracefulCloseOptions {
  /** How long `close()` waits for requests whose client has gone away (their work goes on). */
  drainTimeoutMs: number;
}

/**
 * Makes `app.close()` mean "every request is finished", so that whoever closes the database and
 * the queues after it (src/main.ts) cannot pull them from under a request. Fastify's close waits
 * for open connections, which is not quite the same:
 * - a request whose client gave up (timeout, reset) has no connection any more, but its hooks
 *   and handler still run, and still use the database (the briefing transaction, the
 *   Idempotency-Key record);
 * - a request answered on a keep-alive connection leaves that connection open, holding the close
 *   up until the keep-alive timeout (72 s), unless the answer says `Connection: close`.
 *
 * Needs Fastify's `return503OnClosing: false`: requests arriving while the process closes are
 * answered here, as a problem document with `Retry-After`, instead of Fastify's plain JSON.
 * Registered after the hooks that set headers on every answer (request id, helmet, CORS) and
 * before any that does work (authentication); lastOnSendPlugin comes after the last plugin that
 * adds an `onSend` hook and before the routes.
 */
export const gracefulClosePlugin = fp(
  async (app: FastifyInstance, options: GracefulCloseOptions) => {
    app.decorate('requestsInFlight', trackRequests(app, options));
  },
  { name: 'graceful-close', dependencies: ['request-guards', 'security-headers'] },
);

/** Ends the tracking of a request whose client went away, once it has nothing left to do. */
export const lastOnSendPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', async (request, reply, payload) => {
      app.requestsInFlight.finishOnceSent(request, reply);
      return payload;
    });
  },
  { name: 'graceful-close-last-on-send', dependencies: ['graceful-close', 'idempotency'] },
);

function trackRequests(app: FastifyInstance, options: GracefulCloseOptions): RequestsInFlight {
  const active = new Map<FastifyRequest, FastifyReply>();
  let closing = false;
  let whenIdle: (() => void) | null = null;

  const finished = (request: FastifyRequest) => {
    if (active.delete(request) && active.size === 0) whenIdle?.();
  };

  app.addHook('onRequest', async (request, reply) => {
    active.set(request, reply);
    // A request whose client left and that never sends an answer reaches no later hook: let it
    // go after a while rather than keep it for the life of the process.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) setTimeout(() => finished(request), FORGET_ABANDONED_AFTER_MS).unref();
    });
    if (closing) {
      reply.header('retry-after', String(SHUTDOWN_RETRY_AFTER_SECONDS));
      return sendProblem(request, reply, 'unavailable', 'The service is shutting down; retry shortly');
    }
  });
  app.addHook('onResponse', async (request) => finished(request));

  app.addHook('preClose', async () => {
    closing = true;
    // Answers still to come close their connection, so the server's close need not wait for
    // keep-alive connections to time out. (Requests arriving from now on get it from Fastify.)
    for (const reply of active.values()) {
      if (!reply.raw.headersSent) reply.raw.setHeader('connection', 'close');
    }
  });

  // Runs once the server has closed, i.e. after every open connection ended.
  app.addHook('onClose', async () => {
    if (active.size === 0) return;
    const waiting = active.size;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), options.drainTimeoutMs);
      whenIdle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    whenIdle = null;
    if (drained) {
      app.log.info({ requests: waiting }, 'requests of clients that went away have finished');
    } else {
      app.log.warn({ requests: active.size, waitedMs: options.drainTimeoutMs }, 'closing with requests still running');
    }
  });

  return {
    finishOnceSent(request, reply) {
      if (reply.raw.destroyed || reply.raw.writableFinished) finished(request);
      else reply.raw.once('close', () => finished(request));
    },
  };
}
