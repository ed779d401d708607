import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newRequestId, PROBLEM_CONTENT_TYPE, sendProblem } from './errors.js';
import { BASELINE_SECURITY_HEADERS } from './security-headers.js';

/**
 * For Fastify's clientErrorHandler: the HTTP parser refused the request (bad request line, huge
 * headers), so there is no request object. The answer still gets a request id of its own, in the
 * body and in x-request-id, and the refusal is logged under it (Fastify binds `this`).
 */
export function clientErrorHandler(this: FastifyInstance, error: { code?: string }, socket: Socket) {
  // A reset connection has nobody to answer (Fastify's default handler does the same).
  if (error.code === 'ECONNRESET' || !socket.writable) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const title = status === 431 ? 'Request header fields too large' : 'Bad request';
  const requestId = newRequestId();
  this.log.info({ reqId: requestId, code: error.code, status }, 'request refused by the HTTP parser');
  const body = JSON.stringify({
    type: `https://safety-briefings.example/problems/${status === 431 ? 'headers-too-large' : 'bad-request'}`,
    title,
    status,
    detail: status === 431 ? 'The request headers are too large' : 'The request could not be understood',
    instance: '',
    requestId,
  });
  const headers = {
    ...BASELINE_SECURITY_HEADERS,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    connection: 'close',
  };
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n')}\r\n\r\n${body}`,
  );
}

/**
 * For Fastify's `frameworkErrors` option: the router's own refusals (a URL that cannot be
 * decoded, a path parameter longer than maxParamLength) bypass the error handler, so without
 * this they answer Fastify's plain JSON, echoing the URL, instead of a problem document.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  request.log.info({ code: error.code }, 'request URL refused by the router');
  reply.headers(BASELINE_SECURITY_HEADERS);
  reply.header('x-request-id', request.id);
  return sendProblem(request, reply, 'bad_request', 'The request URL could not be understood');
}
