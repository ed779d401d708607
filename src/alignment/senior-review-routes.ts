import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import type { ServiceDeps } from '../deps.js';
import { pageQuery } from '../http/pagination.js';
import { commonErrors, idParams, problemSchema } from '../http/schemas.js';
import { decideSeniorReview, seniorReviewQueue } from './senior-review.js';
import { seniorDecisionBody, seniorDecisionSchema, seniorReviewQueueSchema } from './senior-review-schemas.js';

const SENIOR = ['senior_manager'] as const;

/** Senior review: the queue of issues for a senior decision, and the decision itself. */
export const seniorReviewRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  app.get(
    '/v1/senior-review',
    {
      config: { access: SENIOR },
      schema: {
        operationId: 'listSeniorReview',
        tags: ['alignment'],
        summary:
          'Open issues for a senior decision: persistent threads, and high or extreme issues where the team and the manager disagree',
        description:
          "Ordered by the thread's highest risk score, then the longest open, then thread id; a page at a " +
          "time (`limit`, and `cursor` from the previous page's `nextCursor`).",
        querystring: z.strictObject(pageQuery),
        response: { 200: seniorReviewQueueSchema, ...commonErrors },
      },
    },
    async (request) => seniorReviewQueue(deps, tenantOf(request), request.query),
  );

  app.post(
    '/v1/items/:id/senior-decision',
    {
      config: { access: SENIOR },
      schema: {
        operationId: 'decideSeniorReview',
        tags: ['alignment'],
        summary: 'Adopt the issue as a QI target, accept the risk until a review date, or send it back',
        params: idParams,
        body: seniorDecisionBody,
        // 409: the item is not open, the priority is inactive, or nothing to send back to; 422: an identifier.
        response: { 201: seniorDecisionSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await decideSeniorReview(deps, tenantOf(request), request.params.id, request.body)),
  );
};
