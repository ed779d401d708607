import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors } from '../http/schemas.js';
import { REPORT_READERS, reportFilterQuery } from '../reports/scope.js';
import { fhirExport } from './service.js';

export const FHIR_JSON = 'application/fhir+json';

const fhirQuery = reportFilterQuery;

const fhirResource = z.object({ resourceType: z.string(), id: z.string() }).loose();

export const fhirBundleSchema = z
  .object({
    resourceType: z.literal('Bundle'),
    id: z.string(),
    meta: z.object({ lastUpdated: z.string() }),
    identifier: z.object({ system: z.string(), value: z.string() }),
    type: z.literal('collection'),
    timestamp: z.string(),
    entry: z.array(z.object({ fullUrl: z.string(), resource: fhirResource })),
  })
  .describe(
    'FHIR R4 Bundle (type collection): Organization, Location and Group per ward, Flag, AdverseEvent, Task, Practitioner',
  )
  .meta({ id: 'FhirBundle' });

export const exportRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  app.get(
    '/v1/exports/fhir',
    {
      config: { access: REPORT_READERS },
      schema: {
        operationId: 'exportFhir',
        tags: ['reports'],
        summary: 'FHIR R4 Bundle of the period: wards, open hazards, adverse events, escalation tasks',
        description:
          'Problems and risks raised from `from` to `to` (both included) with their escalations. Read-only. ' +
          'AdverseEvent.subject is a descriptive Group of the patients cared for on the ward (see docs/reports.md).',
        querystring: fhirQuery,
        response: {
          200: { description: 'FHIR R4 Bundle', content: { [FHIR_JSON]: { schema: fhirBundleSchema } } },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const bundle = await fhirExport(deps, tenantOf(request), request.query);
      return reply
        .type(`${FHIR_JSON}; fhirVersion=4.0; charset=utf-8`)
        .header('cache-control', 'private, no-store')
        .send(bundle);
    },
  );
};
