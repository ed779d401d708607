/**
 * The board pack as one self-contained printable HTML page: inline styles and SVG only, no
 * script, no font, image or stylesheet fetched from anywhere, every text escaped. A board
 * secretary prints it to PDF from the browser (A4 landscape).
 */
import { humanDate, humanDateTime } from '../domain/calendar.js';
import type { GovernancePack } from './schemas.js';
import type { SpcChart } from './spc.js';
import { adjustedHtml } from './render-models.js';
import { barsSvg, xmrSvg } from './svg.js';
import { escapeXml as esc } from './text.js';

const DASH = '—';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? DASH : `${(v * 100).toFixed(1)}%`);
/** At most `digits` decimals, without trailing zeros: 1.25, 5.5, 3. */
const num = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? DASH : String(Number(v.toFixed(digits)));
const signed = (v: number) => (v > 0 ? `+${v}` : String(v));
const ci = (lower: number | null, upper: number | null) =>
  lower === null || upper === null ? DASH : `${pct(lower)} – ${pct(upper)}`;
const label = (code: string) => code.replaceAll('_', ' ');

/** Cells are HTML already escaped by the caller; columns after the first are numeric unless listed in `text`. */
function table(
  headers: string[],
  rows: string[][],
  options: { className?: string; caption?: string; text?: number[] } = {},
): string {
  const numeric = (i: number) => i > 0 && !(options.text ?? []).includes(i);
  const head = headers.map((h, i) => `<th scope="col"${numeric(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((cell, i) => (i === 0 ? `<th scope="row">${cell}</th>` : `<td${numeric(i) ? ' class="n"' : ''}>${cell}</td>`)).join('')}</tr>`,
    )
    .join('');
  const caption = options.caption ? `<caption>${esc(options.caption)}</caption>` : '';
  return `<table${options.className ? ` class="${options.className}"` : ''}>${caption}<thead><tr>${head}</tr></thead><tbody>${body || `<tr><td colspan="${headers.length}">None</td></tr>`}</tbody></table>`;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; margin: 24px; font-size: 13px; line-height: 1.35; }
h1 { font-size: 22px; margin: 0 0 4px; color: #005eb8; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 2px solid #005eb8; padding-bottom: 2px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
p.meta { margin: 2px 0; color: #4c6272; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 12px; max-width: 100%; }
td, th { overflow-wrap: break-word; }
table.wide { width: calc(100% - 2px); }
caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
th, td { border: 1px solid #d8dde0; padding: 3px 6px; vertical-align: top; }
thead th { background: #f0f4f5; }
tbody th { text-align: left; font-weight: normal; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.side-by-side { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
.chart-block { margin: 8px 0 16px; page-break-inside: avoid; break-inside: avoid; }
.summary { margin: 4px 0; }
.note { color: #4c6272; font-size: 11px; }
.legend span { display: inline-block; margin-right: 12px; font-size: 11px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; vertical-align: middle; }
section { page-break-inside: auto; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 10.5px; }
  h2 { page-break-after: avoid; break-after: avoid; }
  section.page { page-break-before: always; break-before: page; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
`;

function header(pack: GovernancePack): string {
  const scope =
    pack.scope.wardId !== null
      ? `Ward ${pack.scope.wards.map((w) => `${w.code} ${w.name}`).join(', ')}`
      : pack.scope.division !== null
        ? `Division ${pack.scope.division} (${pack.scope.wards.length} wards)`
        : `${pack.scope.wards.length} wards`;
  return `<header>
<h1>Ward safety briefings: governance board pack</h1>
<p class="meta"><strong>${esc(pack.scope.organisation.name)}</strong> · ${esc(scope)}</p>
<p class="meta">Period ${esc(pack.period.from)} to ${esc(pack.period.to)} (${pack.period.days} days), compared with ${esc(pack.period.previous.from)} to ${esc(pack.period.previous.to)}.
Figures as at ${esc(humanDateTime(new Date(pack.period.asOf), pack.period.timeZone))}; generated at ${esc(humanDateTime(new Date(pack.period.generatedAt), pack.period.timeZone))} (UK time, ${esc(pack.period.timeZone)}).${replicaNote(pack)}</p>
</header>`;
}

/** Said only of a pack read from the replica: how far behind the primary its figures may be. */
function replicaNote(pack: GovernancePack): string {
  if (pack.period.readFrom !== 'replica') return '';
  const lag = pack.period.replicationLagSeconds;
  return lag === 0
    ? '\nRead from a replica that had replayed every change it had received.'
    : `\nRead from a replica ${esc(lag.toFixed(3))} s behind the primary: changes committed in the last ${esc(lag.toFixed(3))} s are not in these figures.`;
}

function fidelitySection(pack: GovernancePack): string {
  const rows = [
    ...pack.fidelity.wards.map((w) => ({ name: `${w.ward.code} ${w.ward.name}`, f: w })),
    { name: 'All wards', f: pack.fidelity.overall },
  ];
  const main = table(
    [
      'Ward',
      'Working days',
      'Held',
      'Held share',
      'No record',
      'Briefings held',
      'Not held',
      'Items raised',
      'Items per briefing',
    ],
    rows.map(({ name, f }) => [
      esc(name),
      String(f.workingDays),
      String(f.heldWorkingDays),
      pct(f.heldShare),
      String(f.workingDaysWithoutRecord),
      String(f.briefingsHeld),
      String(f.briefingsNotHeld),
      String(f.itemsRaised),
      num(f.itemsPerBriefing, 2),
    ]),
    { caption: 'Share of working days (Monday to Friday) with a briefing held' },
  );
  const attendance = table(
    ['Staff group', 'Attendances', 'Briefings recording it', 'Mean per briefing', 'Briefings with one present'],
    pack.fidelity.overall.attendance.map((a) => [
      esc(label(a.group)),
      String(a.total),
      String(a.briefingsRecorded),
      num(a.meanPerBriefing, 2),
      String(a.briefingsPresent),
    ]),
    { caption: 'Attendance by staff group, all wards' },
  );
  const reasons = table(
    ['Reason not held', 'Times'],
    pack.fidelity.overall.notHeldReasons.map((r) => [esc(r.reason), String(r.count)]),
    { caption: 'Reasons given when a briefing was not held' },
  );
  const chart = barsSvg(
    'Working days with a briefing held',
    pack.fidelity.wards.map((w) => ({ label: `${w.ward.code} ${w.ward.name}`.slice(0, 28), value: w.heldShare })),
  );
  return `<section><h2>1. Briefing fidelity</h2>${main}<div class="chart-block">${chart}</div><div class="side-by-side">${attendance}${reasons}</div></section>`;
}

function itemsSection(pack: GovernancePack): string {
  const o = pack.items.overall;
  const compare = (title: string, rows: { key: string; current: number; previous: number; change: number }[]) =>
    table(
      [title, 'This period', 'Previous period', 'Change'],
      rows.map((r) => [esc(label(r.key)), String(r.current), String(r.previous), signed(r.change)]),
    );
  const perWard = table(
    [
      'Ward',
      'This period',
      'Previous',
      'Change',
      ...o.byKind.map((k) => label(k.key)),
      ...o.byBand.map((b) => label(b.key)),
    ],
    pack.items.wards.map((w) => [
      esc(`${w.ward.code} ${w.ward.name}`),
      String(w.total.current),
      String(w.total.previous),
      signed(w.total.change),
      ...w.byKind.map((k) => String(k.current)),
      ...w.byBand.map((b) => String(b.current)),
    ]),
    { caption: 'Per ward: totals against the previous period; kinds and risk bands this period' },
  );
  const byCategoryWard = table(
    ['Category', ...pack.items.wards.map((w) => w.ward.code), 'All'],
    o.byCategory.map((c) => [
      esc(label(c.key)),
      ...pack.items.wards.map((w) => String(w.byCategory.find((x) => x.key === c.key)?.current ?? 0)),
      String(c.current),
    ]),
    { caption: 'Items raised this period by category and ward' },
  );
  return `<section class="page"><h2>2. Items raised</h2>
<p class="summary">${o.total.current} items this period against ${o.total.previous} in the previous period (${signed(o.total.change)}).</p>
<div class="side-by-side">${compare('Kind', o.byKind)}${compare('Risk band', o.byBand)}${compare('Category', o.byCategory)}</div>
${perWard}${byCategoryWard}</section>`;
}

function escalationSection(pack: GovernancePack): string {
  const e = pack.escalations;
  const headers = [
    '',
    'Opened',
    'Ack in time',
    'Late',
    'Missed',
    'Pending',
    'Closed before ack',
    'In-time share',
    '95% CI',
    'Median hours to ack',
    'Resolved',
    'Median days to resolve',
    'Overdue now',
  ];
  const row = (name: string, s: GovernancePack['escalations']['overall']) => [
    esc(name),
    String(s.opened),
    String(s.acknowledgedWithinDeadline),
    String(s.acknowledgedLate),
    String(s.missedDeadline),
    String(s.pending),
    String(s.closedWithoutAcknowledgement),
    pct(s.ackWithinDeadlineShare),
    ci(s.lower, s.upper),
    num(s.medianHoursToAcknowledge),
    String(s.resolved),
    num(s.medianDaysToResolve),
    String(s.overdueNow),
  ];
  return `<section class="page"><h2>3. Escalations</h2>
${table(headers, [row('All escalations', e.overall), ...e.byBand.map((b) => row(`Band: ${b.band}`, b))], { caption: 'Escalations opened in the period, by risk band' })}
${table(
  headers,
  e.byLevel.map((l) => row(`Reached level ${l.level}`, l)),
  { caption: 'By the highest level of the chain reached' },
)}
${table(
  ['Outcome', 'Escalations'],
  e.outcomes.map((o) => [esc(label(o.outcome)), String(o.count)]),
  { caption: 'Outcomes' },
)}
<p class="note">Each escalation opened is counted in exactly one of Ack in time, Late, Missed, Pending and Closed before ack, so they add up to Opened. In time: the first acknowledgement came before any deadline passed. Closed before ack: resolved (for example fixed by the ward itself) before anyone acknowledged it and before any deadline passed. Overdue now counts open escalations past their deadline when the pack was generated, whenever opened.</p>
</section>`;
}

function alignmentSection(pack: GovernancePack): string {
  const a = pack.alignment;
  const headers = (first: string) => [first, 'Issues', 'Resolved', 'Rate', '95% CI', 'Median days (KM)'];
  const row = (name: string, r: Omit<GovernancePack['alignment']['byAlignment'][number], 'state'>) => [
    esc(label(name)),
    String(r.items),
    String(r.resolved),
    pct(r.resolutionRate),
    ci(r.lower, r.upper),
    num(r.medianDaysToResolution),
  ];
  const or = (name: string, o: GovernancePack['alignment']['alignedForChange']) =>
    `<li>${esc(name)}: odds ratio of resolution ${o.oddsRatio === null ? DASH : o.oddsRatio.toFixed(2)} (95% CI ${o.lower === null ? DASH : o.lower.toFixed(2)} to ${o.upper === null ? DASH : o.upper.toFixed(2)}${o.method === 'woolf_haldane' ? ', 0.5 added to each cell' : ''}); Fisher's exact p = ${o.fisherP.toPrecision(3)}${o.smallCounts ? ' (small counts: rely on the exact test)' : ''}.</li>`;
  return `<section class="page"><h2>4. Does agreement or risk predict resolution?</h2>
<p class="summary">${a.items} problems and risks raised in the period and not fixed at the briefing. Resolved means resolved by the end of the period.</p>
<div class="side-by-side">
${table(
  headers('Alignment'),
  a.byAlignment.map((r) => row(r.state, r)),
  { caption: "By clinical-managerial alignment at the manager's first response" },
)}
${table(
  headers('Risk band'),
  a.byRiskBand.map((r) => row(r.band, r)),
  { caption: 'By risk band' },
)}
</div>
<ul>${or('Aligned for change against the other answered states', a.alignedForChange)}${or('High and extreme risk against low and moderate', a.highRisk)}</ul>
${adjustedHtml(a.adjusted)}
${barriersHtml(a.barriers)}
</section>`;
}

/** What managers who disagree or are undecided say stands in the way. */
function barriersHtml(b: GovernancePack['alignment']['barriers']): string {
  return table(
    ['Barrier', `Disagreeing (${b.disagreeing})`, `Undecided (${b.undecided})`],
    b.barriers.map((r) => [esc(label(r.barrier)), String(r.disagreeing), String(r.undecided)]),
    { caption: 'Barriers named by managers who disagree or need more information' },
  );
}

function issuesSection(pack: GovernancePack): string {
  const issues = table(
    ['#', 'Ward', 'Issue', 'Raised', 'In period', 'Days open', 'Max risk', 'Owner', 'Latest response'],
    pack.persistentIssues.map((p) => [
      String(p.rank),
      esc(p.ward.code),
      `${esc(p.description)}<br><span class="note">${esc(label(p.category))}, ${esc(p.kind)}; first raised ${esc(p.firstRaisedOn)}</span>`,
      String(p.timesRaised),
      String(p.raisedInPeriod),
      String(p.daysOpen),
      num(p.maxRiskScore),
      p.owner ? esc(p.owner.name) : 'No escalation',
      p.latestResponse
        ? `${esc(label(p.latestResponse.stance))}${p.latestResponse.rationale ? `: ${esc(p.latestResponse.rationale)}` : ''}${p.plannedAction ? `<br><span class="note">Action: ${esc(p.plannedAction.description)} (due ${esc(p.plannedAction.dueDate)})</span>` : ''}`
        : 'No response yet',
    ]),
    { caption: 'Top persistent issues (open at the end of the period)', text: [1, 2, 7, 8], className: 'wide' },
  );
  const priorities = table(
    ['Priority', 'Level', 'Owner', 'Linked items', 'Resolved', 'Open', 'Raised in period', 'Progress'],
    pack.priorities.map((p) => [
      esc(p.title),
      esc(
        p.level === 'ward' && p.ward
          ? `ward ${p.ward.code}`
          : p.level === 'division'
            ? `division ${p.division ?? ''}`
            : 'organisation',
      ),
      esc(p.owner.name),
      String(p.linkedItems),
      String(p.resolvedItems),
      String(p.openItems),
      String(p.raisedInPeriod),
      pct(p.resolutionRate),
    ]),
    { caption: 'Organisational priorities and the issues linked to them', text: [1, 2] },
  );
  return `<section class="page"><h2>5. Persistent issues and priorities</h2>${issues}${priorities}</section>`;
}

function spcBlock(chart: SpcChart): string {
  const specials = chart.points.filter((p) => p.special);
  return `<div class="chart-block"><h3>${esc(chart.title)}${chart.trial ? ' <span class="note">(trial limits)</span>' : ''}</h3>
${xmrSvg(chart)}
<p class="summary"><strong>Variation:</strong> ${esc(chart.summary.variation)}</p>
<p class="summary"><strong>Assurance:</strong> ${esc(chart.summary.assurance)}</p>
${specials.length ? `<p class="note">Special-cause points: ${specials.map((p) => `week of ${esc(humanDate(p.period, 'shortYear'))} ${esc(p.special!.kind)} (${esc(label(p.special!.rule))})`).join('; ')}.</p>` : ''}
</div>`;
}

function spcSection(pack: GovernancePack): string {
  return `<section class="page"><h2>6. Statistical process control (XmR, weekly)</h2>
<p class="legend"><span><i style="background:#7f7f7f"></i>common cause</span><span><i style="background:#289de0"></i>improvement</span><span><i style="background:#ed8b00"></i>concern</span><span><i style="background:#490092"></i>special cause, no better direction</span></p>
${spcBlock(pack.spc.itemsRaised)}${spcBlock(pack.spc.ackWithinDeadline)}${spcBlock(pack.spc.daysToResolution)}
<p class="note">Process limits are the mean ± 2.66 × the average moving range; near limits at two thirds of that. Fewer than 12 points make the limits trial limits. A limit below zero, or a share's above 100%, is drawn at that bound (the CSV and JSON keep the computed limit). Only finished ISO weeks wholly inside the period are charted.</p>
</section>`;
}

/** The page a section at a time, for a response written as it is made. */
export function* packHtmlChunks(pack: GovernancePack): Generator<string> {
  yield `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Governance board pack ${esc(pack.period.from)} to ${esc(pack.period.to)}</title>
<style>${STYLE}</style>
</head>
<body>
${header(pack)}
`;
  for (const section of [
    fidelitySection,
    itemsSection,
    escalationSection,
    alignmentSection,
    issuesSection,
    spcSection,
  ]) {
    yield `${section(pack)}\n`;
  }
  yield `<footer class="note"><p>Definitions and methods: docs/reports.md. Working days are Monday to Friday; bank holidays are not excluded.</p></footer>
</body>
</html>
`;
}

export function renderPackHtml(pack: GovernancePack): string {
  return [...packHtmlChunks(pack)].join('');
}
