import { findIdentifiers } from '../domain/identifiers.js';

/** Text for HTML or SVG content and attribute values: the five markup characters escaped. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Shown instead of a stored text that the identifier screen flags on the way out. */
export const WITHHELD_TEXT = '[withheld: possible patient identifier]';

/**
 * Stored free text was screened (refused or redacted) when it was written; reports screen it
 * again on the way out, in case the rules have grown since, and never show text that fails.
 */
export function passesIdentifierScreen(text: string): boolean {
  return findIdentifiers(text).length === 0;
}

export function screenedText(text: string): string;
export function screenedText(text: string | null): string | null;
export function screenedText(text: string | null): string | null {
  if (text === null) return null;
  return passesIdentifierScreen(text) ? text : WITHHELD_TEXT;
}
