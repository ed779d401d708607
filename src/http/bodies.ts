import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { $ZodType } from 'zod/v4/core';

/**
 * How request bodies are read. The API speaks JSON only, and "nothing" is one thing however a
 * client sends it: no body, an empty body (with or without `Content-Type: application/json`)
 * and, where the route's body is optional, `{}` all reach the route alike. Anything that is
 * not JSON is 415, not a string for the body schema to reject.
 */
export const jsonBodiesPlugin = fp(
  async (app: FastifyInstance) => {
    readJsonBodies(app);
    // Requests are checked, and answers written, through the routes' zod schemas.
    app.setValidatorCompiler(absentBodyAwareValidator);
    app.setSerializerCompiler(serializerCompiler);
  },
  { name: 'json-bodies' },
);

function readJsonBodies(app: FastifyInstance) {
  app.removeContentTypeParser('text/plain');

  // A body sent without a Content-Type is read as JSON, the only type the API accepts. Not on
  // browser pages signed in with HTTP Basic (the queue board): a browser sends those credentials
  // by itself, and a cross-site page can POST a body without a Content-Type and without a preflight.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.basicAuth) return;
    const headers = request.raw.headers;
    const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
    if (headers['content-type'] === undefined && hasBody) headers['content-type'] = 'application/json';
  });

  // Fastify's own JSON parser (prototype poisoning refused), except that an empty body is no body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    // The default parser answers through `done`; its type also covers promise-returning parsers.
    void parseJson(request, text, done);
  });
}

/**
 * The zod validator, except that an absent body reaches the body schema as `undefined` (Fastify
 * hands validators `null` for it), so `.optional()` means what it says.
 */
export const absentBodyAwareValidator: FastifySchemaCompiler<$ZodType> = (route) => {
  const validate = validatorCompiler(route);
  if (route.httpPart !== 'body') return validate;
  return (data: unknown) => validate(data === null ? undefined : data);
};
