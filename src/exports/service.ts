import type { TenantPrincipal } from '../auth/principal.js';
import { withReportContext, type ReportDatabases } from '../reports/context.js';
import type { ReportFilter } from '../reports/scope.js';
import { fhirBundle } from './fhir.js';
import { exportEscalations, exportItems } from './fhir-queries.js';

/** GET /v1/exports/fhir: the window's wards, hazards, items and escalations as a FHIR R4 Bundle. */
export function fhirExport(
  databases: ReportDatabases,
  principal: TenantPrincipal,
  request: ReportFilter,
  now = new Date(),
) {
  return withReportContext(databases, principal, request, now, async ({ db, scope, period }) => {
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
