import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { organisations } from '../db/schema.js';
import { findIdentifiers, redactIdentifiers, type IdentifierKind } from '../domain/identifiers.js';
import type { IdentifierPolicy } from '../domain/taxonomy.js';
import { AppError } from '../http/errors.js';

const KIND_WORDS: Record<IdentifierKind, string> = {
  nhs_number: 'an NHS number',
  postcode: 'a postcode',
  date_of_birth: 'a date of birth',
};

export interface ScreenedField {
  path: string;
  text: string;
}

export interface Redaction {
  path: string;
  kinds: IdentifierKind[];
}

/**
 * Applies the organisation's identifier policy to free-text fields. `reject` answers 422
 * naming each field and the kind of identifier, never the identifier itself; `redact`
 * returns the cleaned texts and what was removed.
 */
export function screenFreeText(fields: ScreenedField[], policy: IdentifierPolicy) {
  const texts = new Map<string, string>();
  const redactions: Redaction[] = [];
  for (const field of fields) {
    const matches = findIdentifiers(field.text);
    if (matches.length === 0) continue;
    redactions.push({ path: field.path, kinds: [...new Set(matches.map((m) => m.kind))] });
    texts.set(field.path, redactIdentifiers(field.text, matches));
  }
  if (redactions.length > 0 && policy === 'reject') {
    throw new AppError(
      'identifier_detected',
      'Free text must not identify patients; remove the identifier and send again',
      {
        errors: redactions.map((r) => ({
          path: `body.${r.path}`,
          message: `contains what looks like ${r.kinds.map((k) => KIND_WORDS[k]).join(' and ')}`,
        })),
      },
    );
  }
  return { redactedText: (path: string, original: string) => texts.get(path) ?? original, redactions };
}

/** The fields of `values` that were given, as fields to screen (paths as in the body). */
export function textFields(values: Record<string, string | null | undefined>): ScreenedField[] {
  return Object.entries(values).flatMap(([path, text]) => (text ? [{ path, text }] : []));
}

/**
 * Names, titles and labels (wards, staff, priorities, tokens, organisations): an identifier in
 * one is refused whatever the organisation's policy, since a redacted name is no name.
 */
export function refuseIdentifiers(fields: ScreenedField[]) {
  screenFreeText(fields, 'reject');
}

/** The organisation's identifier policy for free prose; reject when there is no such organisation. */
export async function identifierPolicyOf(db: Executor, organisationId: string): Promise<IdentifierPolicy> {
  const [row] = await db
    .select({ policy: organisations.identifierPolicy })
    .from(organisations)
    .where(eq(organisations.id, organisationId));
  return row?.policy ?? 'reject';
}
