/** One capture request recorded in-process (the service's own code, no HTTP): what it asks of PostgreSQL. */
import { resolvePrincipal } from '../../src/auth/plugin.js';
import type { TenantPrincipal } from '../../src/auth/principal.js';
import { newBriefingSchema } from '../../src/briefings/schemas.js';
import { recordBriefing } from '../../src/briefings/service.js';
import { recordingDatabase, type RecordedStatement } from '../lib/database.js';
import { tokenFor } from '../lib/generate.js';
import type { WardRef } from '../lib/context.js';

export interface Census {
  statements: number;
  inTransaction: number;
  totalMs: number;
  /** From taking an audit lock to the end of the commit (0: the request takes none; events are sealed in the background). */
  auditLockHeldMs: number;
  byKind: Record<string, { count: number; ms: number }>;
  escalationsStarted: number;
}

const KIND_OF: [RegExp, string][] = [
  [/^(begin|commit|rollback)/i, 'transaction'],
  [/pg_advisory_xact_lock|"audit_events"/, 'audit chain'],
  [/similarity\(/, 'repeat detection'],
  [/"api_tokens"|"staff_wards"/, 'authentication'],
  [
    /"escalation_policies"|"escalations"|"escalation_events"|"escalation_assignees"|"notifications"|"outbox"|"webhook_url"/,
    'escalation',
  ],
  [/"item_priorities"|coalesce\("items"."thread_id"/, 'presenting items'],
];

function census(statements: RecordedStatement[], escalationsStarted: number): Census {
  const byKind: Census['byKind'] = {};
  for (const s of statements) {
    const kind = KIND_OF.find(([pattern]) => pattern.test(s.text))?.[1] ?? 'briefing and items';
    const entry = (byKind[kind] ??= { count: 0, ms: 0 });
    entry.count++;
    entry.ms += s.doneAt - s.sentAt;
  }
  for (const entry of Object.values(byKind)) entry.ms = Math.round(entry.ms * 100) / 100;
  const begin = statements.findIndex((s) => /^begin/i.test(s.text));
  const commit = statements.findIndex((s) => /^commit/i.test(s.text));
  const lock = statements.find((s) => s.text.includes('pg_advisory_xact_lock'));
  return {
    statements: statements.length,
    inTransaction: begin === -1 ? 0 : commit - begin + 1,
    totalMs: Math.round((statements[statements.length - 1]!.doneAt - statements[0]!.sentAt) * 100) / 100,
    auditLockHeldMs: lock ? Math.round((statements[commit]!.doneAt - lock.doneAt) * 100) / 100 : 0,
    byKind,
    escalationsStarted,
  };
}

type CaptureRequest = () => { ward: WardRef; body: unknown };

/** Records one request after three to warm the connections (so it times statements, not connecting). */
export async function recordOne(databaseUrl: string, next: CaptureRequest): Promise<Census> {
  const rec = recordingDatabase(databaseUrl);
  const once = async () => {
    const { ward, body } = next();
    const principal = (await resolvePrincipal(rec.db, tokenFor(ward.id))) as TenantPrincipal;
    return recordBriefing({ db: rec.db, relay: { nudge() {} } }, principal, newBriefingSchema.parse(body));
  };
  try {
    for (let i = 0; i < 3; i++) await once();
    const { result, statements } = await rec.record(once);
    return census(statements, result.items.filter((item) => item.escalation !== null).length);
  } finally {
    await rec.close();
  }
}
