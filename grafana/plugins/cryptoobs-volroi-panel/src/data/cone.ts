/** Volatility cone: percentile bands of each coin's own rolling-volatility history. */
import { DataFrame } from '@grafana/data';
import { COLUMNS, findField, Issue, parseSeries, Series } from './frames';
import { isNum, percentileOfSorted, percentileRank, rollingVolatility } from './stats';
import { MIN_CONE_POINTS } from '../constants';

export interface Band {
  p: number;
  value: number;
}

export interface Cone {
  series: Series;
  /** Ascending by percentile; empty when there are too few points. */
  bands: Band[];
  latest?: { time: number; value: number };
  /** Where the latest value sits in the coin's own history (0–100). */
  latestRank?: number;
  /** Latest value above the highest band. */
  unusual: boolean;
}

/** "10, 25,50" -> [10, 25, 50]: unique percentiles strictly between 0 and 100, ascending. */
export function parsePercentiles(text: string | number[] | undefined): number[] {
  const parts = Array.isArray(text) ? text : String(text ?? '').split(/[,\s;]+/);
  const nums = parts.map((p) => Number(p)).filter((p) => isNum(p) && p > 0 && p < 100);
  return [...new Set(nums)].sort((a, b) => a - b);
}

export function buildCone(series: Series, percentiles: number[]): Cone {
  const last = series.values.length - 1;
  const latest = last >= 0 ? { time: series.times[last], value: series.values[last] } : undefined;
  if (series.values.length < MIN_CONE_POINTS || !percentiles.length) {
    return { series, bands: [], latest, unusual: false };
  }
  const sorted = [...series.values].sort((a, b) => a - b);
  const bands = percentiles.map((p) => ({ p, value: percentileOfSorted(sorted, p) }));
  const upper = bands[bands.length - 1].value;
  return {
    series,
    bands,
    latest,
    latestRank: latest ? percentileRank(series.values, latest.value) : undefined,
    unusual: !!latest && latest.value > upper,
  };
}

/**
 * Rolling volatility series from the frames: taken as is when a `volatility` column exists (or a wide frame),
 * computed over `window` points when only `price` is given.
 */
export function volatilitySeries(
  frames: DataFrame[] | undefined,
  window: number
): { series: Series[]; issues: Issue[] } {
  const hasColumn = (c: string) => (frames ?? []).some((f) => !!findField(f, c));
  if (!hasColumn(COLUMNS.volatility) && hasColumn(COLUMNS.price)) {
    const prices = parseSeries(frames, COLUMNS.price);
    const series = prices.series.map((s) => ({
      ...s,
      field: undefined,
      ...rollingVolatility(s.times, s.values, window),
    }));
    return {
      series: series.filter((s) => s.values.length > 0),
      issues: [
        ...prices.issues,
        {
          level: 'info',
          message: `No \`volatility\` column: computed ${window}-point rolling volatility from \`price\`.`,
        },
      ],
    };
  }
  const set = parseSeries(frames, COLUMNS.volatility);
  return { series: set.series, issues: set.issues };
}

export function buildCones(
  frames: DataFrame[] | undefined,
  opts: { percentiles: string; maxSeries: number; rollingWindow: number }
): { cones: Cone[]; issues: Issue[]; hidden: number } {
  const { series, issues } = volatilitySeries(frames, opts.rollingWindow);
  const percentiles = parsePercentiles(opts.percentiles);
  if (!percentiles.length) {
    issues.push({ level: 'warning', message: `No valid percentiles in "${opts.percentiles}": bands are not drawn.` });
  }
  const shown = series.slice(0, Math.max(1, opts.maxSeries));
  const cones = shown.map((s) => buildCone(s, percentiles));
  const short = cones
    .filter((c) => c.series.values.length < MIN_CONE_POINTS)
    .map((c) => `${c.series.label} (${c.series.values.length})`);
  if (short.length && percentiles.length) {
    issues.push({
      level: 'warning',
      message: `Too few points for percentile bands (need ${MIN_CONE_POINTS}): ${short.join(', ')}.`,
    });
  }
  const hidden = series.length - shown.length;
  if (hidden > 0) {
    issues.push({ level: 'info', message: `Showing ${shown.length} of ${series.length} coins (option "Max coins").` });
  }
  return { cones, issues, hidden };
}
