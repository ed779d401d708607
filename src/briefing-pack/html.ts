/**
 * The ward's briefing pack on one printed A4 page: each list shows its most urgent entries first,
 * up to a fixed number, then "and N more" (the JSON pack keeps every entry). Long free text is
 * shortened; times are UK times. No scripts, no external requests.
 */
import { REPORT_TIME_ZONE } from '../domain/calendar.js';
import { RISK_BANDS } from '../domain/risk.js';
import { escapeXml } from '../reports/text.js';
import type { BriefingPack } from './service.js';

const escapeHtml = (text: string | null | undefined) => escapeXml(text ?? '');

/** How many entries of each list the printed page shows; the rest are counted ("and N more"). */
export const PAGE_LIMITS = {
  resolved: 4,
  overdueEscalations: 4,
  overdueActions: 3,
  openItems: 6,
  persistent: 3,
  priorities: 4,
  actionsPerItem: 1,
} as const;

/** Free text longer than this is cut at a word and ends with an ellipsis. */
const TEXT_LIMIT = 140;

export function shorten(text: string | null | undefined, limit = TEXT_LIMIT): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  if (t.length <= limit) return t;
  const cut = t.slice(0, limit - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > limit * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** An instant as a ward reads it: "15:05 Tue 10 Jun", UK time. */
export function wardTime(iso: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: REPORT_TIME_ZONE,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('hour')}:${get('minute')} ${get('weekday')} ${get('day')} ${get('month')}`;
}

type Item = BriefingPack['openItems'][number];

const bandRank = (band: string | null) =>
  band === null ? -1 : RISK_BANDS.indexOf(band as (typeof RISK_BANDS)[number]);

/**
 * Most urgent first: an overdue escalation, then the higher risk band, the higher score, and
 * the longer open.
 */
export function byUrgency(items: readonly Item[]): Item[] {
  const overdue = (i: Item) => (i.escalation?.overdue ? 1 : 0);
  return [...items].sort(
    (a, b) =>
      overdue(b) - overdue(a) ||
      bandRank(b.riskBand) - bandRank(a.riskBand) ||
      (b.riskScore ?? 0) - (a.riskScore ?? 0) ||
      a.raisedOn.localeCompare(b.raisedOn),
  );
}

/** The first `limit` of a list rendered, and an "and N more" line for the rest. */
function capped<T>(list: readonly T[], limit: number, render: (shown: T[]) => string, what: string): string {
  const more = list.length - limit;
  return `${render(list.slice(0, limit))}${more > 0 ? `<p class="more">and ${more} more ${what} (see the full pack in the service)</p>` : ''}`;
}

const STANCE_WORDS: Record<string, string> = {
  agree: 'agrees change is needed',
  disagree: 'does not agree change is needed',
  needs_information: 'needs more information',
};

/** At most three lines: who has it and by when, their position, and the next planned action. */
function managerLine(item: Item, overdueActions: Set<string>): string {
  const e = item.escalation;
  if (!e) return '<span class="muted">Not escalated</span>';
  const due =
    e.state === 'open' ? `, ${e.overdue ? '<strong>overdue</strong>, was ' : ''}due ${wardTime(e.dueAt)}` : '';
  const parts = [`${escapeHtml(e.assignee.name)} (level ${e.level}, ${e.state.replace('_', ' ')}${due})`];
  if (e.managerPosition)
    parts.push(`${STANCE_WORDS[e.managerPosition.stance]}: "${escapeHtml(shorten(e.managerPosition.rationale, 70))}"`);
  const actions = [...e.plannedActions].sort((a, b) => a.dueDate.localeCompare(b.dueDate));
  const shown = actions.slice(0, PAGE_LIMITS.actionsPerItem).map((action) => {
    const late = overdueActions.has(`${e.id} ${action.dueDate} ${action.description}`)
      ? '<strong>overdue</strong>, '
      : '';
    return `action ${late}due ${action.dueDate}: ${escapeHtml(shorten(action.description, 50))}`;
  });
  const moreActions = actions.length - shown.length;
  if (shown.length) parts.push(`${shown.join('; ')}${moreActions > 0 ? ` (and ${moreActions} more actions)` : ''}`);
  return parts.join('<br>');
}

function itemRows(list: Item[], overdueActions: Set<string>): string {
  return list
    .map(
      (item) => `<tr>
  <td>${escapeHtml(shorten(item.description, 90))}<div class="muted">${item.category.replace('_', ' ')} &middot; raised ${item.raisedOn}${
    item.recurrence.timesRaised > 1
      ? ` &middot; raised ${item.recurrence.timesRaised} times since ${item.recurrence.firstRaisedOn}`
      : ''
  }</div></td>
  <td class="band ${item.riskBand ?? ''}">${item.riskBand ?? ''} ${item.riskScore ?? ''}</td>
  <td>${managerLine(item, overdueActions)}</td>
</tr>`,
    )
    .join('\n');
}

/** A persistent issue in one line: it is listed again, so its manager's answer is left to the list above. */
function persistentRows(list: BriefingPack['persistentIssues']): string {
  return list
    .map(
      (item) =>
        `<tr><td>${escapeHtml(shorten(item.description, 110))}</td><td class="band ${item.riskBand ?? ''}">${item.riskBand ?? ''} ${item.riskScore ?? ''}</td><td>raised ${item.recurrence.timesRaised} times</td></tr>`,
    )
    .join('');
}

const table = (rows: string) => `<table>${rows}</table>`;
const none = (text: string) => `<p class="muted">${text}</p>`;

/** What changed since the last briefing, and what is overdue. */
function changeSections(pack: BriefingPack): string {
  const L = PAGE_LIMITS;
  const resolved = pack.resolvedSincePreviousBriefing.length
    ? capped(
        pack.resolvedSincePreviousBriefing,
        L.resolved,
        (shown) =>
          table(
            shown
              .map(
                (item) =>
                  `<tr><td>${escapeHtml(shorten(item.description, 70))}</td><td>${escapeHtml(item.escalation?.outcome?.replace('_', ' ') ?? 'resolved')}: ${escapeHtml(shorten(item.resolution?.note, 70))}</td></tr>`,
              )
              .join(''),
          ),
        'resolved',
      )
    : none('Nothing resolved since the last briefing.');
  const overdue = pack.overdueEscalations.length
    ? capped(
        pack.overdueEscalations,
        L.overdueEscalations,
        (shown) =>
          table(
            shown
              .map(
                (e) =>
                  `<tr><td>${escapeHtml(shorten(e.description, 70))}</td><td>${escapeHtml(e.assignee)} (level ${e.level}), was due ${wardTime(e.dueAt)}</td></tr>`,
              )
              .join(''),
          ),
        'overdue escalations',
      )
    : none('None.');
  const actions = pack.overdueActions.length
    ? capped(
        pack.overdueActions,
        L.overdueActions,
        (shown) =>
          table(
            shown
              .map(
                (a) =>
                  `<tr><td>${escapeHtml(shorten(a.description, 70))}</td><td>${escapeHtml(a.assignee)}, <strong>overdue</strong>, was due ${a.dueDate}</td></tr>`,
              )
              .join(''),
          ),
        'overdue actions',
      )
    : none('None.');
  return `<h2>You said, we did: resolved since the last briefing</h2>
${resolved}
<h2>Overdue escalations</h2>
${overdue}
<h2>Overdue actions</h2>
${actions}`;
}

/** What is still open, what keeps coming back, and the priorities the issues serve. */
function openSections(pack: BriefingPack, overdueActions: Set<string>): string {
  const L = PAGE_LIMITS;
  return `<h2>Still open, most urgent first, and the managers' latest response</h2>
${
  pack.openItems.length
    ? capped(
        byUrgency(pack.openItems),
        L.openItems,
        (shown) =>
          `<table class="items"><tr><th style="width:44%">Issue</th><th>Risk</th><th>Manager</th></tr>${itemRows(shown, overdueActions)}</table>`,
        'open issues',
      )
    : none('No open issues.')
}
<h2>Keeps coming back</h2>
${pack.persistentIssues.length ? capped(pack.persistentIssues, L.persistent, (shown) => `<table class="items">${persistentRows(shown)}</table>`, 'persistent issues') : none('No persistent issues.')}
<h2>Priorities our issues are linked to</h2>
${
  pack.priorities.length
    ? capped(
        pack.priorities,
        L.priorities,
        (shown) =>
          `<ul>${shown.map((p) => `<li>${escapeHtml(shorten(p.title, 90))} (${p.level}): ${p.openItems} open of ${p.items} linked</li>`).join('')}</ul>`,
        'priorities',
      )
    : none('None linked yet.')
}`;
}

const STYLE = `
  @page { size: A4 portrait; margin: 10mm; }
  body { font: 9pt/1.25 system-ui, sans-serif; margin: 1cm; color: #111; }
  h1 { font-size: 13pt; margin: 0 0 .2em; } h2 { font-size: 10.5pt; margin: .6em 0 .2em; border-bottom: 1px solid #999; }
  table { width: 100%; border-collapse: collapse; table-layout: fixed; }
  td, th { text-align: left; vertical-align: top; padding: 1px 4px; border-bottom: 1px solid #ddd; overflow-wrap: break-word; }
  table.items td:nth-child(1) { width: 44%; } table.items td:nth-child(2), table.items th:nth-child(2) { width: 10%; }
  p { margin: .2em 0; } ul { margin: .2em 0; padding-left: 1.4em; }
  .muted { color: #555; font-size: 8pt; } .band { white-space: nowrap; font-weight: 600; }
  .more { font-style: italic; color: #333; font-size: 8.5pt; }
  .extreme { color: #a00; } .high { color: #c45a00; } .moderate { color: #8a6d00; } .low { color: #2d6a2d; }
  .summary span { display: inline-block; margin-right: 1.5em; }
  @media print { body { margin: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
`;

/** One printable A4 page for the start of the briefing. */
export function renderBriefingPackHtml(pack: BriefingPack): string {
  const overdueActions = new Set(pack.overdueActions.map((a) => `${a.escalationId} ${a.dueDate} ${a.description}`));
  return `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Briefing pack: ward ${escapeHtml(pack.ward.code)}, ${pack.date}</title>
<style>${STYLE}</style></head>
<body>
<h1>Safety briefing pack &mdash; ward ${escapeHtml(pack.ward.code)} ${escapeHtml(pack.ward.name)}</h1>
<p class="summary"><span>Briefing of <strong>${pack.date}</strong></span><span>Since ${pack.since}${
    pack.previousBriefing ? ' (previous briefing)' : ''
  }</span><span>${pack.counts.open} open</span><span>${pack.counts.resolvedSincePreviousBriefing} resolved</span><span>${
    pack.counts.overdueEscalations
  } overdue</span></p>
${changeSections(pack)}
${openSections(pack, overdueActions)}
</body></html>`;
}
