/** The adjusted alignment models as the board pack prints them (HTML) and flattens them (CSV). */
import type { CsvValue } from './csv.js';
import type { GovernancePack } from './schemas.js';
import { escapeXml as esc } from './text.js';

type Models = GovernancePack['alignment']['adjusted'];

const DASH = '—';
const two = (v: number | null | undefined) => (v === null || v === undefined ? DASH : v.toFixed(2));
const p = (v: number | null | undefined) =>
  v === null || v === undefined ? DASH : v < 0.001 ? '< 0.001' : v.toFixed(3);
const label = (term: string) =>
  term === 'agreement'
    ? 'Aligned for change'
    : term === 'priority_aligned'
      ? 'Linked to a QI priority'
      : `Band ${term.replace(/^band_/, '')}`;

function termsTable(caption: string, ratioName: string, terms: Models['cox']['terms']): string {
  const rows = terms
    .map(
      (t) =>
        `<tr><th scope="row">${esc(label(t.term))}</th><td class="n">${two(t.ratio)}</td><td class="n">${two(t.lower)} – ${two(t.upper)}</td><td class="n">${p(t.p)}</td></tr>`,
    )
    .join('');
  return `<table><caption>${esc(caption)}</caption><thead><tr><th scope="col">Term</th><th scope="col" class="n">${esc(ratioName)}</th><th scope="col" class="n">95% CI</th><th scope="col" class="n">p</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const item = (text: string) => (text === '' ? '' : `<li>${esc(text)}</li>`);

/** The adjusted result, printed beside the unadjusted tables of the alignment section. */
export function adjustedHtml(m: Models): string {
  const tables = [
    m.logistic.status === 'estimated'
      ? termsTable('Logistic regression of resolution (clustered on threads)', 'Odds ratio', m.logistic.terms)
      : '',
    m.cox.status === 'estimated' ? termsTable('Cox model of time to resolution', 'Hazard ratio', m.cox.terms) : '',
  ].join('');
  const readings = [
    m.logistic.reading,
    m.logistic.agreementTest?.reading ?? '',
    m.logistic.bandTest?.reading ?? '',
    m.mantelHaenszel.reading,
    m.mantelHaenszel.test?.reading ?? '',
    m.mantelHaenszel.breslowDay?.reading ?? '',
    m.cox.reading,
    m.logRank.reading,
  ];
  const omitted = m.omittedTerms.map((o) => `${label(o.term)} left out: ${o.reason}`);
  return `<h3>Adjusted: agreement at the manager's first response, allowing for risk band and priority</h3>
<p class="note">${m.observations} issues answered by the manager with a risk band (${m.agreed} aligned for change), in ${m.threads} threads of repeats; ${m.excluded.noAnswer} not yet answered are left out.</p>
<div class="side-by-side">${tables}</div>
<ul>${[...readings, ...omitted].map(item).join('')}</ul>`;
}

type Add = (metric: string, scope: string, period: string, value: CsvValue) => void;

/** Every figure of the adjusted models as tidy rows (scope `model:<name>` and the term). */
export function adjustedCsv(m: Models, add: Add, period: string): void {
  add('model_observations', 'model:all', period, m.observations);
  add('model_agreed', 'model:all', period, m.agreed);
  add('model_threads', 'model:all', period, m.threads);
  add('model_excluded_no_answer', 'model:all', period, m.excluded.noAnswer);
  for (const [name, model] of [
    ['logistic', m.logistic],
    ['mantel_haenszel', m.mantelHaenszel],
    ['cox', m.cox],
    ['log_rank', m.logRank],
  ] as const) {
    add('model_status', `model:${name}`, period, model.status);
    model.warnings.forEach((w, i) =>
      add(`model_warning_${w.code}`, `model:${name};warning:${i + 1}`, period, w.message),
    );
  }
  for (const [name, terms] of [
    ['logistic', m.logistic.terms],
    ['cox', m.cox.terms],
  ] as const) {
    for (const t of terms) {
      const scope = `model:${name};term:${t.term}`;
      add(name === 'logistic' ? 'odds_ratio' : 'hazard_ratio', scope, period, t.ratio);
      add('ratio_ci95_lower', scope, period, t.lower);
      add('ratio_ci95_upper', scope, period, t.upper);
      add('ratio_p', scope, period, t.p);
    }
  }
  const tests = [
    ['logistic;test:agreement_lr', m.logistic.agreementTest],
    ['logistic;test:band_lr', m.logistic.bandTest],
    ['mantel_haenszel;test:association', m.mantelHaenszel.test],
    ['mantel_haenszel;test:breslow_day', m.mantelHaenszel.breslowDay],
    ['log_rank;test:log_rank', m.logRank.test],
  ] as const;
  for (const [scope, test] of tests) {
    if (test === null) continue;
    add('chi_square', `model:${scope}`, period, test.chi2);
    add('chi_square_df', `model:${scope}`, period, test.df);
    add('chi_square_p', `model:${scope}`, period, test.p);
  }
  add('pooled_odds_ratio', 'model:mantel_haenszel', period, m.mantelHaenszel.oddsRatio);
  add('pooled_odds_ratio_ci95_lower', 'model:mantel_haenszel', period, m.mantelHaenszel.lower);
  add('pooled_odds_ratio_ci95_upper', 'model:mantel_haenszel', period, m.mantelHaenszel.upper);
}
