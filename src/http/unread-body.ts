import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface UnreadBodyLimits {
  /** Read and discard at most this much of a body nobody read. */
  maxBytes: number;
  /** And for at most this long. */
  maxMs: number;
}

/**
 * An answer given before the request's body was read (413 for a body over the limit, 401 before
 * the body is parsed, any answer to a client that asked to close) waits until the body has
 * arrived, discarding it. Closing the connection with the body still arriving would make the
 * client's writes fail (EPIPE) and the reset that follows can throw away the answer it has not
 * read yet. Past the limits the answer goes anyway and the connection is closed.
 */
export const unreadBodyPlugin = fp(
  async (app: FastifyInstance, limits: UnreadBodyLimits) => {
    app.addHook('onSend', async (request, reply, payload) => {
      const incoming = request.raw;
      if (incoming.complete || incoming.readableEnded || incoming.destroyed) return payload;
      if (!(await discardBody(incoming, limits))) reply.header('connection', 'close');
      return payload;
    });
  },
  // The refusals it lets reach the client are the problem documents of the error handler.
  { name: 'unread-body', dependencies: ['problem-errors'] },
);

/** Reads what is left of the body; true once it all arrived within the limits. */
function discardBody(incoming: IncomingMessage, { maxBytes, maxMs }: UnreadBodyLimits): Promise<boolean> {
  return new Promise((resolve) => {
    let read = 0;
    const finish = (whole: boolean) => {
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onFailed);
      incoming.off('close', onClosed);
      resolve(whole);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFailed = () => finish(false);
    const onClosed = () => finish(incoming.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onFailed);
    incoming.once('close', onClosed);
    incoming.resume();
  });
}
