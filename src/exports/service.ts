import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { reportPeriod, resolveScope } from '../reports/scope.js';
import { readSnapshot } from '../db/sql.js';
import { fhirBundle } from './fhir.js';
import { exportEscalations, exportItems } from './fhir-queries.js';

/** GET /v1/exports/fhir: the window's wards, hazards, items and escalations as a FHIR R4 Bundle. */
export function fhirExport(
  database: Database,
  principal: TenantPrincipal,
  request: { from: string; to: string; wardId?: string | undefined; division?: string | undefined },
  now = new Date(),
) {
  return readSnapshot(database, async (db) => {
  const scope = await resolveScope(db, principal, request);
  const period = reportPeriod(request.from, request.to, now);
  const items = await exportItems(db, scope, period);
  const escalations = await exportEscalations(db, scope, period);
  return fhirBundle({
    organisation: scope.organisation,
    wards: scope.wards,
    items,
    escalations,
    period: { from: period.from, to: period.to },
    generatedAt: now,
  });
  });
}
