import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from './errors.js';

/**
 * Every answer carries its request id in x-request-id. Input PostgreSQL cannot store (NUL, lone
 * surrogates) or that is absurdly deep is refused up front with a clear answer, before any
 * schema, hash or query sees it.
 */
export const requestGuardsPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    app.addHook('preValidation', async (request) => {
      const problem = unstorableInput(request.body, 'body') ?? unstorableInput(request.query, 'querystring');
      if (problem) {
        throw new AppError('validation_failed', `${problem.path}: ${problem.message}`, { errors: [problem] });
      }
    });
  },
  { name: 'request-guards', dependencies: ['json-bodies', 'problem-errors'] },
);

const MAX_INPUT_DEPTH = 32;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = (text: string) => !LONE_SURROGATE.test(text);

/** The first string or key PostgreSQL could not store, or nesting beyond MAX_INPUT_DEPTH. */
function unstorableInput(root: unknown, rootPath: string): { path: string; message: string } | null {
  const stack: [unknown, string, number][] = [[root, rootPath, 0]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { path, message: 'must not contain NUL characters' };
      if (!isWellFormed(value)) return { path, message: 'must be valid Unicode text' };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { path, message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\u0000') || !isWellFormed(key))
        return { path, message: 'has a field name that is not valid text' };
      stack.push([child, `${path}.${key}`, depth + 1]);
    }
  }
  return null;
}
