import { pino, type DestinationStream, type Logger } from 'pino';

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'ward-safety-briefings' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
