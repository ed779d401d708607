import { z } from 'zod';
import { timestamp } from '../http/schemas.js';

export const auditEventSchema = z
  .object({
    id: z.number().int(),
    seq: z.number().int(),
    at: timestamp,
    actor: z.object({ type: z.string(), id: z.string().nullable(), role: z.string() }),
    entityType: z.string(),
    entityId: z.string(),
    action: z.string(),
    changes: z.record(z.string(), z.unknown()).describe('Changed fields as {from, to}; free text only as a reference'),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });
