import type { Control, Hazard, HazardLog } from './hazard-log.js';
import { ACCEPTABILITY, SEVERITIES, matrixRows, riskRating } from './risk-matrix.js';

/** The page sits in docs/clinical-safety/, so links to tests climb two folders. */
const TO_ROOT = '../../';

const CONTROL_HEADINGS: Record<Control['type'], string> = {
  design: 'Design',
  test: 'Test',
  training: 'Training',
  deployment: 'Deployment (the deploying organisation, under DCB0160)',
};

/** Keeps a cell on one table row and stops a pipe from ending it. */
function cell(value: string): string {
  return value.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

function riskText(risk: Hazard['initialRisk']): string {
  const rating = riskRating(risk.severity, risk.likelihood);
  return `${risk.severity} x ${risk.likelihood} = **${rating}**, ${ACCEPTABILITY[rating].label}`;
}

function renderControl(control: Control, index: number): string[] {
  const lines = [`${index + 1}. **${CONTROL_HEADINGS[control.type]}.** ${control.description.trim()}`];
  for (const e of control.evidence ?? []) {
    lines.push(`   - [\`${e.file}\`](${TO_ROOT}${e.file}): "${e.test}"`);
  }
  return lines;
}

function renderHazard(h: Hazard): string[] {
  const lines = [`## ${h.id}: ${h.title.trim()}`, '', `**Status:** ${h.status}`, '', '**Causes**', ''];
  for (const cause of h.causes) lines.push(`- ${cause.trim()}`);
  lines.push('', `**Effect on patients.** ${h.effect.trim()}`, '');
  lines.push(`**Initial risk:** ${riskText(h.initialRisk)}`, '', '**Controls**', '');
  h.controls.forEach((control, index) => lines.push(...renderControl(control, index)));
  lines.push('', `**Residual risk:** ${riskText(h.residualRisk)}`, '');
  if (h.justification) lines.push(`**Justification.** ${h.justification.trim()}`, '');
  if (h.plannedControls?.length) {
    lines.push('**Planned controls**', '');
    for (const p of h.plannedControls) lines.push(`- ${CONTROL_HEADINGS[p.type]}: ${p.description.trim()}`);
    lines.push('');
  }
  return lines;
}

/** The hazard log as a Markdown page: a summary table, the matrix, then each hazard in full. */
export function renderHazardLog(log: HazardLog): string {
  const lines = [
    '<!-- Generated from hazard-log.yaml by `npm run hazard-log`. Edit the YAML, not this page. -->',
    '',
    `# Hazard log: ${log.system}`,
    '',
    `Release ${log.release}, reviewed ${log.reviewed}. The log is kept under DCB0129 as described in the`,
    '[clinical risk management plan](clinical-risk-management-plan.md); the',
    '[clinical safety case report](safety-case-report.md) argues from it. Each design or test control',
    'names the tests that show it works; `test/clinical-safety/hazard-log.test.ts` fails when one of',
    'them no longer exists, so the log cannot quietly go stale.',
    '',
    '## Summary',
    '',
    '| id | hazard | initial | residual | status |',
    '|---|---|---|---|---|',
  ];
  for (const h of log.hazards) {
    const initial = riskRating(h.initialRisk.severity, h.initialRisk.likelihood);
    const residual = riskRating(h.residualRisk.severity, h.residualRisk.likelihood);
    lines.push(
      `| [${h.id}](#${h.id.toLowerCase()}-${anchor(h.title)}) | ${cell(h.title)} | ${initial} | ${residual}, ${ACCEPTABILITY[residual].label} | ${h.status} |`,
    );
  }
  lines.push(
    '',
    '## Risk matrix',
    '',
    `| likelihood | ${SEVERITIES.join(' | ')} |`,
    `|---|${SEVERITIES.map(() => '---').join('|')}|`,
  );
  for (const row of matrixRows()) lines.push(`| ${row.likelihood} | ${row.ratings.join(' | ')} |`);
  lines.push('');
  for (const rating of [1, 2, 3, 4, 5] as const) {
    lines.push(`- **${rating}, ${ACCEPTABILITY[rating].label}:** ${ACCEPTABILITY[rating].meaning}`);
  }
  lines.push('');
  for (const h of log.hazards) lines.push(...renderHazard(h));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** GitHub's heading anchor for "HAZ-001: <title>": lower case, punctuation dropped, spaces to hyphens. */
function anchor(title: string): string {
  return title
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}
