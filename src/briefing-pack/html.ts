import { escapeXml } from '../reports/text.js';
import type { BriefingPack } from './service.js';

const escapeHtml = (text: string | null | undefined) => escapeXml(text ?? '');

const STANCE_WORDS: Record<string, string> = {
  agree: 'agrees change is needed',
  disagree: 'does not agree change is needed',
  needs_information: 'needs more information',
};

function managerLine(item: BriefingPack['openItems'][number], overdueActions: Set<string>): string {
  const e = item.escalation;
  if (!e) return '<span class="muted">Not escalated</span>';
  const late = (dueDate: string, description: string) =>
    overdueActions.has(`${e.id} ${dueDate} ${description}`) ? '<strong>overdue</strong>, ' : '';
  const parts = [`${escapeHtml(e.assignee.name)} (level ${e.level}, ${e.state.replace('_', ' ')})`];
  if (e.managerPosition)
    parts.push(`${STANCE_WORDS[e.managerPosition.stance]}: "${escapeHtml(e.managerPosition.rationale)}"`);
  for (const action of e.plannedActions)
    parts.push(
      `action ${late(action.dueDate, action.description)}due ${action.dueDate}: ${escapeHtml(action.description)}`,
    );
  if (e.state === 'open')
    parts.push(`${e.overdue ? '<strong>overdue</strong>, was ' : ''}due ${e.dueAt.slice(0, 16).replace('T', ' ')}`);
  return parts.join('<br>');
}

/** An open item's row: what it is, how often and since when it has been raised, its band, the manager's answer. */
function itemRow(item: BriefingPack['openItems'][number], overdueActions: Set<string>) {
  const { timesRaised, firstRaisedOn } = item.recurrence;
  const raised = timesRaised > 1 ? ` &middot; raised ${timesRaised} times since ${firstRaisedOn}` : '';
  return `<tr>
  <td>${escapeHtml(item.description)}<div class="muted">${item.category.replace('_', ' ')} &middot; raised ${item.raisedOn}${raised}</div></td>
  <td class="band ${item.riskBand ?? ''}">${item.riskBand ?? ''} ${item.riskScore ?? ''}</td>
  <td>${managerLine(item, overdueActions)}</td>
</tr>`;
}

/** One printable page for the start of the briefing; no scripts, no external requests. */
export function renderBriefingPackHtml(pack: BriefingPack): string {
  const overdueActions = new Set(pack.overdueActions.map((a) => `${a.escalationId} ${a.dueDate} ${a.description}`));
  const rows = (list: BriefingPack['openItems']) => list.map((item) => itemRow(item, overdueActions)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Briefing pack: ward ${escapeHtml(pack.ward.code)}, ${pack.date}</title>
<style>
  body { font: 11pt/1.35 system-ui, sans-serif; margin: 1.5cm; color: #111; }
  h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 12.5pt; margin: 1.2em 0 .4em; border-bottom: 1px solid #999; }
  table { width: 100%; border-collapse: collapse; } td, th { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #ddd; }
  .muted { color: #555; font-size: 9.5pt; } .band { white-space: nowrap; font-weight: 600; }
  .extreme { color: #a00; } .high { color: #c45a00; } .moderate { color: #8a6d00; } .low { color: #2d6a2d; }
  .summary span { display: inline-block; margin-right: 1.5em; }
  @media print { body { margin: 1cm; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
</style></head>
<body>
<h1>Safety briefing pack &mdash; ward ${escapeHtml(pack.ward.code)} ${escapeHtml(pack.ward.name)}</h1>
<p class="summary"><span>Briefing of <strong>${pack.date}</strong></span><span>Since ${pack.since}${
    pack.previousBriefing ? ' (previous briefing)' : ''
  }</span><span>${pack.counts.open} open</span><span>${pack.counts.resolvedSincePreviousBriefing} resolved</span><span>${
    pack.counts.overdueEscalations
  } overdue</span></p>
<h2>You said, we did: resolved since the last briefing</h2>
${
  pack.resolvedSincePreviousBriefing.length
    ? `<table>${pack.resolvedSincePreviousBriefing
        .map(
          (item) =>
            `<tr><td>${escapeHtml(item.description)}</td><td>${escapeHtml(item.escalation?.outcome?.replace('_', ' ') ?? 'resolved')}: ${escapeHtml(
              item.resolution?.note,
            )}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">Nothing resolved since the last briefing.</p>'
}
<h2>Overdue escalations</h2>
${
  pack.overdueEscalations.length
    ? `<table>${pack.overdueEscalations
        .map(
          (e) =>
            `<tr><td>${escapeHtml(e.description)}</td><td>${escapeHtml(e.assignee)} (level ${e.level})</td><td>due ${e.dueAt.slice(0, 16).replace('T', ' ')}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">None.</p>'
}
<h2>Overdue actions</h2>
${
  pack.overdueActions.length
    ? `<table>${pack.overdueActions
        .map(
          (a) =>
            `<tr><td>${escapeHtml(a.description)}</td><td>${escapeHtml(a.assignee)}</td><td><strong>overdue</strong>, was due ${a.dueDate}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">None.</p>'
}
<h2>Still open, and the managers' latest response</h2>
${pack.openItems.length ? `<table><tr><th>Issue</th><th>Risk</th><th>Manager</th></tr>${rows(pack.openItems)}</table>` : '<p class="muted">No open issues.</p>'}
<h2>Keeps coming back</h2>
${pack.persistentIssues.length ? `<table>${rows(pack.persistentIssues)}</table>` : '<p class="muted">No persistent issues.</p>'}
<h2>Priorities our issues are linked to</h2>
${
  pack.priorities.length
    ? `<ul>${pack.priorities.map((p) => `<li>${escapeHtml(p.title)} (${p.level}): ${p.openItems} open of ${p.items} linked</li>`).join('')}</ul>`
    : '<p class="muted">None linked yet.</p>'
}
</body></html>`;
}
