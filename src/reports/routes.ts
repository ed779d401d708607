import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantOf } from '../auth/plugin.js';
import type { ServiceDeps } from '../deps.js';
import { commonErrors } from '../http/schemas.js';
import { alignmentReport } from './alignment.js';
import { governancePackAs } from './formats.js';
import {
  alignmentQuery,
  alignmentReportSchema,
  governancePackSchema,
  governanceQuery,
  spcQuery,
  spcReportSchema,
  threatsQuery,
  threatsReportSchema,
} from './schemas.js';
import { REPORT_READERS, TREND_READERS } from './scope.js';
import { spcReport } from './spc.js';
import { threatsReport } from './threats.js';

const TREND_NOTE =
  'Governance, senior managers and org admins read every ward; middle managers, clinicians and ward devices their own wards ' +
  '(another ward answers 404). Read-only. 400 for a period with from after to or longer than 2 years.';

const READERS_NOTE =
  'Governance, senior managers and org admins read every ward; middle managers their own wards. ' +
  'Read-only. 400 for a period with from after to or longer than 2 years.';

export const reportRoutes: FastifyPluginAsyncZod<ServiceDeps> = async (app, deps) => {
  app.get(
    '/v1/reports/governance',
    {
      config: { access: REPORT_READERS },
      schema: {
        operationId: 'getGovernancePack',
        tags: ['reports'],
        summary: 'Governance board pack: fidelity, items, escalations, alignment, persistent issues, SPC',
        description: `${READERS_NOTE} format=csv gives one tidy table (metric, scope, period, value; UTF-8 with BOM); format=html a self-contained printable page.`,
        querystring: governanceQuery,
        response: {
          200: {
            description: 'The board pack',
            content: {
              'application/json': { schema: governancePackSchema },
              'text/csv': { schema: z.string().describe('metric,scope,period,value') },
              'text/html': { schema: z.string().describe('Printable page, no external requests') },
            },
          },
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const out = await governancePackAs(deps, tenantOf(request), request.query);
      reply.header('cache-control', 'private, no-store');
      if (out.format === 'json') return out.pack;
      // Written a section at a time as it is rendered; the type provider knows only the text it makes up.
      const body = Readable.from(out.body, { objectMode: false }) as unknown as string;
      return reply.type(out.contentType).header('content-disposition', out.disposition).send(body);
    },
  );

  app.get(
    '/v1/reports/alignment',
    {
      config: { access: TREND_READERS },
      schema: {
        operationId: 'getAlignmentReport',
        tags: ['reports'],
        summary: 'Resolution by alignment state against risk band: odds ratio, Fisher exact test, Kaplan-Meier curves',
        description: TREND_NOTE,
        querystring: alignmentQuery,
        response: { 200: alignmentReportSchema, ...commonErrors },
      },
    },
    async (request) => alignmentReport(deps, tenantOf(request), request.query),
  );

  app.get(
    '/v1/reports/spc',
    {
      config: { access: TREND_READERS },
      schema: {
        operationId: 'getSpcChart',
        tags: ['reports'],
        summary: 'Weekly XmR chart of one measure, with special causes, variation and assurance',
        description: TREND_NOTE,
        querystring: spcQuery,
        response: { 200: spcReportSchema, ...commonErrors },
      },
    },
    async (request) => spcReport(deps, tenantOf(request), request.query),
  );

  app.get(
    '/v1/reports/threats',
    {
      config: { access: REPORT_READERS },
      schema: {
        operationId: 'getThreatRanking',
        tags: ['reports'],
        summary: 'Open threats ranked by HFMEA-style hazard score (severity x observed recurrence, plus age)',
        description: READERS_NOTE,
        querystring: threatsQuery,
        response: { 200: threatsReportSchema, ...commonErrors },
      },
    },
    async (request) => threatsReport(deps, tenantOf(request), request.query),
  );
};
