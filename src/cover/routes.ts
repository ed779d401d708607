import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors, idParams, isoDate, problemSchema, timestamp } from '../http/schemas.js';
import { cancelCover, listCover, nameCover } from './service.js';

/** Org admins, and managers (for themselves: only they or an org admin change their cover). */
const COVER_ACCESS = ['org_admin', 'middle_manager', 'senior_manager'] as const;

const person = z.object({ id: z.uuid(), name: z.string() });

export const coverSchema = z
  .object({
    id: z.uuid(),
    manager: person,
    deputy: person,
    from: isoDate.describe("First day of cover (the trust's calendar, UK time)"),
    to: isoDate.describe('Last day of cover, included'),
    inForce: z.boolean().describe("Whether the deputy covers the manager today (the trust's calendar)"),
    cancelledAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Cover' });

const coverInput = z
  .strictObject({
    deputyStaffId: z.uuid().describe('Another middle or senior manager of the organisation'),
    from: isoDate,
    to: isoDate,
  })
  .meta({
    examples: [{ deputyStaffId: '9c3e1f7a-2b4d-4e6f-8a1c-5d7e9f0b2c43', from: '2026-12-21', to: '2027-01-02' }],
  });

/** A manager's deputy while they are away: their escalations show in the deputy's inbox. */
export const coverRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, { db }) => {
  app.post(
    '/v1/staff/:id/cover',
    {
      config: { access: COVER_ACCESS },
      schema: {
        operationId: 'nameCover',
        tags: ['staff'],
        summary: 'Name a deputy for the manager over a range of days',
        description:
          "While the cover is in force, the manager's escalations appear in the deputy's inbox marked as cover, and " +
          'the deputy may act on them; the history records on whose behalf. Only the manager themself or an org admin ' +
          'names it. 409 when the manager already has a deputy on one of the days, the deputy is away then, or the ' +
          'manager covers someone else then; 422 when the staff member is not a manager, the deputy is not another ' +
          'manager of the organisation, or the range has already ended.',
        params: idParams,
        body: coverInput,
        response: { 201: coverSchema, 409: problemSchema, 422: problemSchema, ...commonErrors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await nameCover(db, tenantOf(request), request.params.id, request.body)),
  );

  app.get(
    '/v1/staff/:id/cover',
    {
      config: { access: COVER_ACCESS },
      schema: {
        operationId: 'listCover',
        tags: ['staff'],
        summary: 'Covers not yet ended where the staff member is the manager or the deputy',
        params: idParams,
        response: { 200: z.object({ data: z.array(coverSchema) }), ...commonErrors },
      },
    },
    async (request) => listCover(db, tenantOf(request), request.params.id),
  );

  app.delete(
    '/v1/staff/:id/cover/:coverId',
    {
      config: { access: COVER_ACCESS },
      schema: {
        operationId: 'cancelCover',
        tags: ['staff'],
        summary: 'End a cover now, or withdraw one not yet begun',
        params: z.object({ id: z.uuid(), coverId: z.uuid() }),
        response: { 200: coverSchema, 409: problemSchema, ...commonErrors },
      },
    },
    async (request) => cancelCover(db, tenantOf(request), request.params.id, request.params.coverId),
  );
};
