/**
 * The committed contract (openapi/openapi.json) as a check on every answer the API tests receive:
 * the status is declared for the operation, the content type is declared for that status, and
 * the body is valid against the declared schema. The test app helper (context.ts) runs it on
 * every injected response, so the document cannot drift from the code unnoticed.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaType>;
}
interface OperationObject {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
interface ContractDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { responses?: Record<string, ResponseObject> };
}

const DOCUMENT_ID = 'openapi.json';
const document = JSON.parse(
  readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'),
) as ContractDocument;

// ajv-formats is CommonJS: imported from ESM, its function is the module's `default`.
const addFormats = formats.default;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
// The whole document under one id, so `#/components/schemas/...` references resolve within it.
ajv.addSchema(document, DOCUMENT_ID);

/** Path templates, most specific first (a literal segment wins over a parameter, as in the router). */
const templates = Object.keys(document.paths)
  .map((template) => ({
    template,
    pattern: new RegExp(
      `^${template
        .split('/')
        .map((part) => (/^\{.+\}$/.test(part) ? '[^/]+' : escapeRegExp(part)))
        .join('/')}$`,
    ),
    parameters: (template.match(/\{/g) ?? []).length,
  }))
  .sort((a, b) => a.parameters - b.parameters);

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const pointer = (...segments: string[]) =>
  segments.map((segment) => `/${encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'))}`).join('');

const validators = new Map<string, ValidateFunction>();
function validatorAt(path: string): ValidateFunction {
  let validate = validators.get(path);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${path}` });
    validators.set(path, validate);
  }
  return validate;
}

export interface ReceivedResponse {
  method: string;
  url: string;
  statusCode: number;
  contentType: string | undefined;
  body: string;
}

/** What in the answer the contract does not allow, or null; answers of undocumented routes are not checked. */
export function contractViolation(response: ReceivedResponse): string | null {
  const method = response.method.toLowerCase();
  const path = response.url.split('?')[0] ?? '';
  const found = templates.find(({ pattern }) => pattern.test(path));
  const operation = found ? document.paths[found.template]?.[method] : undefined;
  // Unknown routes (the 404 handler), HEAD, CORS preflights, /docs, /openapi.json and the queue board.
  if (!found || !operation) return null;

  const where = `${response.method} ${found.template} (${operation.operationId ?? 'no operationId'}) answered ${response.statusCode}`;
  const status = String(response.statusCode);
  const declaredStatus = operation.responses[status]
    ? status
    : operation.responses[`${status[0]}XX`]
      ? `${status[0]}XX`
      : 'default';
  const inline = operation.responses[declaredStatus];
  if (!inline) return `${where}: status not declared (declared: ${Object.keys(operation.responses).join(', ')})`;
  // A shared answer (#/components/responses/NotFound) or one of the operation's own.
  const shared = inline.$ref ? /^#\/components\/responses\/(.+)$/.exec(inline.$ref)?.[1] : undefined;
  const declared = shared ? document.components?.responses?.[shared] : inline;
  if (!declared) return `${where}: ${inline.$ref} does not resolve`;
  const declaredAt = shared
    ? ['components', 'responses', shared]
    : ['paths', found.template, method, 'responses', declaredStatus];

  const content = declared.content ?? {};
  if (response.body === '') {
    return Object.keys(content).length === 0
      ? null
      : `${where}: empty body, but ${Object.keys(content).join(', ')} declared`;
  }
  const mediaType = (response.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!content[mediaType]) {
    return `${where} with ${mediaType || 'no content type'}: not declared (declared: ${Object.keys(content).join(', ') || 'no content'})`;
  }
  if (content[mediaType].schema === undefined) return null;

  let value: unknown = response.body;
  if (/[/+]json$/.test(mediaType)) {
    try {
      value = JSON.parse(response.body);
    } catch {
      return `${where}: ${mediaType} body is not JSON`;
    }
  }
  const validate = validatorAt(pointer(...declaredAt, 'content', mediaType, 'schema'));
  if (validate(value)) return null;
  const errors = (validate.errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'}`)
    .join('; ');
  return `${where} with ${mediaType}: body does not match the declared schema: ${errors}`;
}
