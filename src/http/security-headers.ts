import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

// Helmet's middleware, built once: building it parses the policy, which @fastify/helmet did again
// on every request.
const setSecurityHeaders = helmet({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      // Swagger UI and the printable reports inline their styles and images.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'self'"],
    },
  },
});

/**
 * Security headers (helmet) and CORS on every answer. After the request id, so that answers given
 * by these hooks (a CORS preflight) carry it too.
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: { corsOrigins: string[] }) => {
    // Helmet 8 throws a bad policy at start-up instead of passing an error on.
    app.addHook('onRequest', (request, reply, done) => setSecurityHeaders(request.raw, reply.raw, () => done()));
    await app.register(cors, { origin: options.corsOrigins.length > 0 ? options.corsOrigins : false });
  },
  { name: 'security-headers', dependencies: ['request-guards'] },
);

/**
 * What helmet sets, for the answers given before any hook runs (router and HTTP parser
 * refusals, src/http/refusals.ts). The same policy as helmet's for the rest of the API.
 */
export const BASELINE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; base-uri 'self'; frame-ancestors 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'origin-agent-cluster': '?1',
};
