import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { reportPeriod, resolveScope } from '../reports/scope.js';
import { fhirBundle } from './fhir.js';
import { exportEscalations, exportItems } from './fhir-queries.js';

/** GET /v1/exports/fhir: the window's wards, hazards, items and escalations as a FHIR R4 Bundle. */
export async function fhirExport(
  db: Database,
  principal: TenantPrincipal,
  request: { from: string; to: string; wardId?: string | undefined; division?: string | undefined },
  now = new Date(),
) {
  const scope = await resolveScope(db, principal, request);
  const period = reportPeriod(request.from, request.to, now);
  const [items, escalations] = await Promise.all([exportItems(db, scope, period), exportEscalations(db, scope, period)]);
  return fhirBundle({
    organisation: scope.organisation,
    wards: scope.wards,
    items,
    escalations,
    period: { from: period.from, to: period.to },
    generatedAt: now,
  });
}
