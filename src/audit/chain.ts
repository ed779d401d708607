import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.js';

/** The fields of an audit event that its hash covers, in a fixed order. */
export interface AuditContent {
  organisationId: string;
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  actorRole: string;
  entityType: string;
  entityId: string;
  action: string;
  changes: unknown;
  requestId: string | null;
}

export const GENESIS_HASH = '0'.repeat(64);

/** sha256(prevHash + canonical content): each event seals everything before it. */
export function eventHash(content: AuditContent, prevHash: string): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(content)).digest('hex');
}

/** What the hash covers, read from a stored event (as verification and sealing both read it). */
export function contentOf(
  row: Omit<AuditContent, 'seq' | 'occurredAt'> & { occurredAt: Date },
  seq: number,
): AuditContent {
  return {
    organisationId: row.organisationId,
    seq,
    occurredAt: row.occurredAt.toISOString(),
    actorType: row.actorType,
    actorId: row.actorId,
    actorRole: row.actorRole,
    entityType: row.entityType,
    entityId: row.entityId,
    action: row.action,
    changes: row.changes,
    requestId: row.requestId,
  };
}
