/**
 * Inline SVG charts for the printable pack: no script, no external reference, text escaped.
 * Colours follow NHS "Making Data Count": grey common cause, blue improvement, orange concern,
 * purple a signal on a measure with no better direction.
 */
import type { SpcChart } from './spc.js';
import { clampToBounds, measureBounds, niceAxis, stepDecimals } from '../domain/chart-scale.js';
import { humanDate } from '../domain/calendar.js';
import { escapeXml } from './text.js';

export const SPC_COLOURS = {
  common: '#7f7f7f',
  improvement: '#289de0',
  concern: '#ed8b00',
  neutral: '#490092',
  mean: '#231f20',
  limit: '#231f20',
  near: '#a6a6a6',
  target: '#d5281b',
} as const;

const round = (n: number) => Math.round(n * 100) / 100;

export function formatValue(value: number, unit: string): string {
  if (unit === 'share') return `${(value * 100).toFixed(1)}%`;
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(1);
}

/** Where an XmR chart draws: its box, value axis and the scales from data to pixels. */
interface XmrPlot {
  chart: SpcChart;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
  plotW: number;
  plotH: number;
  lo: number;
  hi: number;
  ticks: number[];
  step: number;
  x: (i: number) => number;
  y: (v: number) => number;
}

/**
 * A chart line as drawn: limits past what the measure can take (below 0, a share above 100%) are
 * drawn at that bound. The computed limits stay in the figures (JSON, CSV) and the rules.
 */
export function drawnLine(chart: Pick<SpcChart, 'unit'>, v: number | null): number | null {
  return clampToBounds(v, measureBounds(chart.unit));
}

/** The value axis: every point and drawn line, padded by 5%, widened to round ticks, within the measure's bounds. */
export function xmrValueAxis(chart: SpcChart): { lo: number; hi: number; ticks: number[]; step: number } {
  const bounds = measureBounds(chart.unit);
  const values = chart.points.map((p) => p.value);
  const lines = [
    chart.mean,
    chart.upperProcessLimit,
    chart.lowerProcessLimit,
    chart.upperNearLimit,
    chart.lowerNearLimit,
    chart.target,
  ]
    .map((v) => drawnLine(chart, v))
    .filter((v): v is number => v !== null);
  let lo = Math.min(...values, ...lines);
  let hi = Math.max(...values, ...lines);
  if (hi - lo < 1e-9) hi = lo + (chart.unit === 'share' ? 0.1 : 1);
  const pad = (hi - lo) * 0.05;
  lo = clampToBounds(lo - pad, bounds)!;
  hi = clampToBounds(hi + pad, bounds)!;
  const axis = niceAxis(lo, hi);
  // The bounds are whole steps (0, and 1 for a share), so clamping keeps the ends on ticks.
  const ticks = axis.ticks.filter((t) => clampToBounds(t, bounds) === t);
  return { lo: ticks[0]!, hi: ticks.at(-1)!, ticks, step: axis.step };
}

function xmrPlot(chart: SpcChart, width: number, height: number): XmrPlot {
  const margin = { top: 28, right: 120, bottom: 44, left: 56 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const { lo, hi, ticks, step } = xmrValueAxis(chart);
  const x = (i: number) =>
    margin.left + (chart.points.length === 1 ? plotW / 2 : (i * plotW) / (chart.points.length - 1));
  const y = (v: number) => margin.top + plotH - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * plotH;
  return { chart, height, margin, plotW, plotH, lo, hi, ticks, step, x, y };
}

/** A tick's label, with as many decimals as the step needs (a share in percent). */
export function tickLabel(v: number, unit: string, step: number): string {
  if (unit === 'share') return `${(v * 100).toFixed(stepDecimals(step * 100))}%`;
  return v.toFixed(stepDecimals(step));
}

/** The plot box and the value ticks, at round numbers, on the y axis. */
function xmrAxes({ chart, margin, plotW, plotH, ticks, step, y }: XmrPlot): string[] {
  const parts = [
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#d8dde0"/>`,
  ];
  for (const v of ticks) {
    const ty = round(y(v));
    parts.push(
      `<line class="tick" x1="${margin.left - 4}" x2="${margin.left}" y1="${ty}" y2="${ty}" stroke="#425563"/>`,
    );
    parts.push(
      `<text class="tick-label" x="${margin.left - 6}" y="${ty + 4}" text-anchor="end" font-size="10">${escapeXml(tickLabel(v, chart.unit, step))}</text>`,
    );
  }
  return parts;
}

/** A horizontal line across the plot, labelled at its right end; nothing when the value is null. */
function xmrLine(plot: XmrPlot, v: number | null, cls: string, colour: string, dash: string, text: string): string[] {
  if (v === null) return [];
  const { margin, plotW } = plot;
  const ly = round(plot.y(v));
  return [
    `<line class="${cls}" x1="${margin.left}" x2="${margin.left + plotW}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="1.2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    `<text x="${margin.left + plotW + 4}" y="${ly + 3}" font-size="9" fill="${colour}">${escapeXml(text)}</text>`,
  ];
}

/** Near limits, process limits, mean and target, in that drawing order. */
function xmrLimits(plot: XmrPlot): string[] {
  const { chart } = plot;
  const trial = chart.trial ? ' (trial)' : '';
  const shown = (v: number | null) => (v === null ? '' : formatValue(v, chart.unit));
  const upper = drawnLine(chart, chart.upperProcessLimit);
  const lower = drawnLine(chart, chart.lowerProcessLimit);
  return [
    ...xmrLine(plot, drawnLine(chart, chart.upperNearLimit), 'near-limit', SPC_COLOURS.near, '2 3', ''),
    ...xmrLine(plot, drawnLine(chart, chart.lowerNearLimit), 'near-limit', SPC_COLOURS.near, '2 3', ''),
    ...xmrLine(plot, upper, 'process-limit', SPC_COLOURS.limit, '6 4', `UPL${trial} ${shown(upper)}`),
    ...xmrLine(plot, lower, 'process-limit', SPC_COLOURS.limit, '6 4', `LPL${trial} ${shown(lower)}`),
    ...xmrLine(plot, chart.mean, 'mean', SPC_COLOURS.mean, '', `Mean ${shown(chart.mean)}`),
    ...xmrLine(plot, chart.target, 'target', SPC_COLOURS.target, '1 2', `Target ${shown(chart.target)}`),
  ];
}

/** The run line, then one dot per week coloured by its special cause, with a tooltip. */
function xmrPoints({ chart, x, y }: XmrPlot): string[] {
  const path = chart.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(x(i))},${round(y(p.value))}`).join(' ');
  const parts = [`<path d="${path}" fill="none" stroke="${SPC_COLOURS.common}" stroke-width="1.5"/>`];
  chart.points.forEach((p, i) => {
    const kind = p.special?.kind ?? 'common';
    const colour = SPC_COLOURS[kind];
    const tip = `Week starting ${humanDate(p.period)}: ${formatValue(p.value, chart.unit)}${p.special ? ` (special cause, ${p.special.kind}: ${p.special.rule.replaceAll('_', ' ')})` : ''}`;
    parts.push(
      `<circle class="point ${kind}" cx="${round(x(i))}" cy="${round(y(p.value))}" r="4" fill="${colour}" stroke="#fff" stroke-width="1"><title>${escapeXml(tip)}</title></circle>`,
    );
  });
  return parts;
}

/** At most 8 week labels under the x axis (always the last), as people write dates, and the footnote on the limits. */
function xmrLabels({ chart, height, margin, plotH, x }: XmrPlot): string[] {
  const parts: string[] = [];
  const step = Math.max(1, Math.ceil(chart.points.length / 8));
  const years = new Set(chart.points.map((p) => p.period.slice(0, 4)));
  const style = years.size > 1 ? 'shortYear' : 'short';
  chart.points.forEach((p, i) => {
    if (i % step !== 0 && i !== chart.points.length - 1) return;
    parts.push(
      `<text x="${round(x(i))}" y="${margin.top + plotH + 14}" text-anchor="middle" font-size="9">${escapeXml(humanDate(p.period, style))}</text>`,
    );
  });
  parts.push(
    `<text x="${margin.left}" y="${height - 8}" font-size="9">Week starting Monday${years.size === 1 ? ` (${[...years][0]})` : ''}. ${chart.trial ? 'Trial limits: fewer than 12 points.' : 'Limits from all points.'}</text>`,
  );
  return parts;
}

/** An XmR chart: points and the run line, mean, process limits, near limits and target. */
export function xmrSvg(chart: SpcChart, width = 640, height = 260): string {
  const label = `${chart.title}: ${chart.points.length} weekly points`;
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="chart spc" role="img" aria-label="${escapeXml(label)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(chart.title)}</title>`;
  if (chart.points.length === 0) {
    return `${head}<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="#fff" stroke="#d8dde0"/><text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="14">No complete weeks with data in this period</text></svg>`;
  }
  const plot = xmrPlot(chart, width, height);
  return [head, ...xmrAxes(plot), ...xmrLimits(plot), ...xmrPoints(plot), ...xmrLabels(plot), '</svg>'].join('');
}

/** Horizontal bars of a share (0-1) per label, e.g. briefing fidelity per ward. */
export function barsSvg(title: string, bars: { label: string; value: number | null }[], width = 640): string {
  const rowH = 22;
  const margin = { top: 24, right: 60, bottom: 12, left: 160 };
  const height = margin.top + margin.bottom + Math.max(1, bars.length) * rowH;
  const plotW = width - margin.left - margin.right;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${escapeXml(title)}</title>`,
    `<text x="${margin.left}" y="14" font-size="11" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  bars.forEach((bar, i) => {
    const by = margin.top + i * rowH;
    const w = bar.value === null ? 0 : round(Math.max(0, Math.min(1, bar.value)) * plotW);
    parts.push(
      `<text x="${margin.left - 6}" y="${by + 14}" text-anchor="end" font-size="10">${escapeXml(bar.label)}</text>`,
    );
    parts.push(`<rect x="${margin.left}" y="${by + 3}" width="${plotW}" height="14" fill="#f0f4f5"/>`);
    parts.push(`<rect class="bar" x="${margin.left}" y="${by + 3}" width="${w}" height="14" fill="#005eb8"/>`);
    parts.push(
      `<text x="${margin.left + plotW + 6}" y="${by + 14}" font-size="10">${bar.value === null ? '—' : escapeXml(formatValue(bar.value, 'share'))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
