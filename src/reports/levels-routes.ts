import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantOf } from '../auth/plugin.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors } from '../http/schemas.js';
import { levelsReport, levelsReportSchema } from './levels.js';
import { alignmentQuery } from './schemas.js';
import { REPORT_READERS } from './scope.js';

/** Alignment by level: agreement between the three levels, and where issues stall. */
export const levelsRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  app.get(
    '/v1/reports/alignment-by-level',
    {
      config: { access: REPORT_READERS },
      schema: {
        operationId: 'getAlignmentByLevel',
        tags: ['reports'],
        summary:
          'Agreement between the team and the middle manager, and between the middle manager and the senior decision; where issues stall',
        description:
          'Governance, senior managers and org admins read every ward; middle managers their own wards. ' +
          'Read-only. 400 for a period with from after to or longer than 2 years.',
        querystring: alignmentQuery,
        response: { 200: levelsReportSchema, ...commonErrors },
      },
    },
    async (request) => levelsReport(deps, tenantOf(request), request.query),
  );
};
