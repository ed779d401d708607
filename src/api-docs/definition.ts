import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { $ZodType, safeParse } from 'zod/v4/core';
import { PROBLEM_ANSWERS, PROBLEM_MEDIA_TYPE } from '../http/schemas.js';

/** What the document says about the service as a whole; the operations come from the route table. */
const DEFINITION = {
  openapi: '3.1.0',
  info: {
    title: 'Ward safety briefings API',
    version: '1.0.0',
    description:
      'Daily ward safety briefings, escalation of what the ward cannot fix to named managers, ' +
      'and governance reports. Errors are RFC 9457 problem documents (application/problem+json). ' +
      'Every route except /health and /ready needs `Authorization: Bearer <token>`.',
    contact: { name: 'Ward safety briefings maintainers', url: 'https://safety-briefings.example' },
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: 'http://127.0.0.1:3000', description: 'A local service (`npm start` or `npm run demo`)' }],
  tags: [
    { name: 'operations', description: 'Liveness and readiness probes for the platform; no token needed.' },
    { name: 'organisations', description: 'The tenant (an NHS trust): its settings and its escalation webhook.' },
    { name: 'wards', description: "The organisation's wards." },
    { name: 'staff', description: 'Staff records: roles and the wards each person works on.' },
    { name: 'tokens', description: 'API tokens for staff and for ward devices; each is shown once.' },
    { name: 'briefings', description: "A ward's daily safety briefing and its items, recorded in one transaction." },
    {
      name: 'items',
      description: 'Problems, risks and good practice raised at briefings: reading, resolving, repeats.',
    },
    {
      name: 'escalation',
      description: "Escalation policies, the manager's inbox and notifications, and the current assignee's actions.",
    },
    {
      name: 'alignment',
      description:
        "Whether the ward and the manager agree that change is needed; QI priorities; the ward's briefing pack.",
    },
    { name: 'audit', description: 'The append-only, hash-chained audit trail.' },
    {
      name: 'reports',
      description: 'Governance reports (board pack, alignment analysis, SPC, threats) and the FHIR export.',
    },
  ],
  components: {
    securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer', description: 'Opaque API token' } },
  },
  security: [{ bearer: [] }],
};

/** The parts of the rendered document that are adjusted here. */
interface RenderedDocument {
  paths?: Record<string, Record<string, { requestBody?: { required?: boolean }; responses?: Record<string, unknown> }>>;
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, unknown> };
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Options for @fastify/swagger: the zod transforms of fastify-type-provider-zod, plus what they
 * leave out. Fastify's swagger marks every request body as required; a route whose body schema
 * accepts no body (an acknowledgement) is declared optional. Components nothing refers to (the
 * provider writes an input and an output form of every named schema) are left out.
 */
export function swaggerOptions(): FastifyDynamicSwaggerOptions {
  const optionalBodies = new Set<string>();
  return {
    openapi: DEFINITION,
    transform: (input) => {
      const body = input.schema?.body;
      if (body instanceof $ZodType && safeParse(body, undefined).success) {
        const methods = Array.isArray(input.route.method) ? input.route.method : [input.route.method];
        for (const method of methods) optionalBodies.add(`${method.toLowerCase()} ${openApiPath(input.url)}`);
      }
      return jsonSchemaTransform(input);
    },
    transformObject: (input) => {
      const document = jsonSchemaTransformObject(input) as RenderedDocument;
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations)) {
          if (optionalBodies.has(`${method} ${path}`) && operation.requestBody) operation.requestBody.required = false;
        }
      }
      return withoutUnusedSchemas(withSharedProblemResponses(document));
    },
  };
}

/**
 * Each standard error answer (a problem document with the status's usual meaning) is declared
 * once under components/responses and referred to by every operation that can give it.
 */
function withSharedProblemResponses<T extends RenderedDocument>(document: T): T {
  const shared: Record<string, unknown> = {};
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const answer = PROBLEM_ANSWERS[Number(status)];
        if (!answer) continue;
        const standard = {
          description: answer.description,
          content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
        };
        if (JSON.stringify(response) !== JSON.stringify(standard)) continue;
        shared[answer.name] = standard;
        operation.responses![status] = { $ref: `#/components/responses/${answer.name}` };
      }
    }
  }
  const responses = Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b)));
  return {
    ...document,
    components: { ...document.components, responses: { ...document.components?.responses, ...responses } },
  };
}

/** The document without component schemas that no operation refers to, directly or through another schema. */
function withoutUnusedSchemas<T extends RenderedDocument>(document: T): T {
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const name =
        key === '$ref' && typeof child === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(child)?.[1] : undefined;
      if (name !== undefined && !used.has(name)) {
        used.add(name);
        visit(schemas[name]);
      }
      visit(child);
    }
  };
  visit({ ...document, components: { ...document.components, schemas: {} } });
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...document, components: { ...document.components, schemas: kept } };
}
