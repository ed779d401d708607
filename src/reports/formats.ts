/** The board pack in the format asked for: the JSON structure, a tidy CSV, or printable HTML. */
import type { TenantPrincipal } from '../auth/principal.js';
import type { ReportDatabases } from './context.js';
import type { Tuning } from '../deps.js';
import { governancePack } from './governance.js';
import { packCsvChunks } from './render-csv.js';
import { packHtmlChunks } from './render-html.js';
import type { GovernancePack, GovernanceQuery } from './schemas.js';

export type PackResponse =
  | { format: 'json'; pack: GovernancePack }
  /** The document a section at a time, written to the response as it is made. */
  | { format: 'csv' | 'html'; contentType: string; disposition: string; body: Iterable<string> };

export async function governancePackAs(
  deps: ReportDatabases & { tuning?: Tuning | undefined },
  principal: TenantPrincipal,
  request: GovernanceQuery,
  now = new Date(),
): Promise<PackResponse> {
  const pack = await governancePack(deps, principal, request, now);
  if (request.format === 'json') return { format: 'json', pack };
  const name = `governance-pack-${pack.period.from}-to-${pack.period.to}`;
  return request.format === 'csv'
    ? {
        format: 'csv',
        contentType: 'text/csv; charset=utf-8; header=present',
        disposition: `attachment; filename="${name}.csv"`,
        body: packCsvChunks(pack),
      }
    : {
        format: 'html',
        contentType: 'text/html; charset=utf-8',
        disposition: `inline; filename="${name}.html"`,
        body: packHtmlChunks(pack),
      };
}
