import { pino, type DestinationStream, type Logger } from 'pino';
import { redactIdentifiers } from './domain/identifiers.js';

/** Tokens, auth headers and free text never reach the logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'token',
  'adminToken',
  '*.token',
  'description',
  'note',
  'text',
  'rationale',
];

/** Requests are logged by method and path only: a query string could carry free text. */
const serializers = {
  req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
    method: req.method,
    path: redactIdentifiers(req.url?.split('?')[0]?.slice(0, 300) ?? ''),
    id: req.id,
  }),
};

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      serializers,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'ward-safety-briefings' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
