import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { swaggerOptions } from './definition.js';

/**
 * The OpenAPI document, built from the routes registered after this plugin, and Swagger UI at
 * /docs (public: the route table gives its pages their access).
 */
export const apiDocsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, swaggerOptions());
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  },
  { name: 'api-docs', dependencies: ['route-table'] },
);
