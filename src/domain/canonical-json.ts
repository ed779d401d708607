/**
 * JSON with object keys sorted and undefined fields left out, so the same content always gives
 * the same text (and hash): the audit chain's seals and an Idempotency-Key's request fingerprint.
 * Built in one pass (it runs for every audit event sealed and every keyed request); the text is
 * exactly that of the mapping form: `[a,b]` and `{"k":v}` with each part canonical, a hole in an
 * array as nothing, anything else as JSON.stringify(value ?? null).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    let out = '{';
    for (const key of Object.keys(record).sort()) {
      const field = record[key];
      if (field === undefined) continue;
      if (out.length > 1) out += ',';
      out += `${JSON.stringify(key)}:${canonicalJson(field)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value ?? null);
}
