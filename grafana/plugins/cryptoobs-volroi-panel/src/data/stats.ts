/**
 * Plain statistics on number arrays. No Grafana types here so the maths can be tested in isolation.
 * Conventions: volatility and roi are fractions (0.05 = 5 %).
 */

export const MS_PER_DAY = 24 * 60 * 60 * 1000;
export const MS_PER_YEAR = 365 * MS_PER_DAY;

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function median(values: number[]): number | undefined {
  const sorted = values.filter(isNum).sort((a, b) => a - b);
  return sorted.length ? percentileOfSorted(sorted, 50) : undefined;
}

/** Percentile p (0–100) of an ascending array, linear interpolation between closest ranks. */
export function percentileOfSorted(sorted: number[], p: number): number {
  if (!sorted.length) {
    return NaN;
  }
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Share (0–100) of the values that are <= v: where v sits in its own history. */
export function percentileRank(values: number[], v: number): number {
  const finite = values.filter(isNum);
  if (!finite.length) {
    return NaN;
  }
  return (100 * finite.filter((x) => x <= v).length) / finite.length;
}

/** Log returns of consecutive prices; pairs with a missing or non-positive price are skipped. */
export function logReturns(prices: Array<number | null | undefined>): number[] {
  const out: number[] = [];
  for (let i = 1; i < prices.length; i++) {
    const a = prices[i - 1];
    const b = prices[i];
    if (isNum(a) && isNum(b) && a > 0 && b > 0) {
      out.push(Math.log(b / a));
    }
  }
  return out;
}

/** Sample standard deviation (n - 1); undefined below two values. */
export function sampleStdDev(values: number[]): number | undefined {
  const n = values.length;
  if (n < 2) {
    return undefined;
  }
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sq = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return Math.sqrt(sq / (n - 1));
}

/** Sampling frequency from the median spacing of the timestamps (ms): daily data -> 365. */
export function periodsPerYear(times: number[]): number | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const d = times[i] - times[i - 1];
    if (isNum(d) && d > 0) {
      gaps.push(d);
    }
  }
  const step = median(gaps);
  return step ? MS_PER_YEAR / step : undefined;
}

/** Annualized volatility: sample std-dev of log returns × sqrt(periods per year). Needs 2+ returns. */
export function annualizedVolatility(times: number[], prices: Array<number | null | undefined>): number | undefined {
  const sd = sampleStdDev(logReturns(prices));
  const ppy = periodsPerYear(times);
  return sd === undefined || ppy === undefined ? undefined : sd * Math.sqrt(ppy);
}

/** Return between two prices as a fraction; undefined when the start is not a positive number. */
export function simpleReturn(start: number | null | undefined, end: number | null | undefined): number | undefined {
  return isNum(start) && isNum(end) && start > 0 ? end / start - 1 : undefined;
}

/** ROI of a series: last / first - 1 over the first and last usable (positive) prices. */
export function seriesRoi(prices: Array<number | null | undefined>): number | undefined {
  const usable = prices.filter((p): p is number => isNum(p) && p > 0);
  return usable.length >= 2 ? simpleReturn(usable[0], usable[usable.length - 1]) : undefined;
}

/**
 * Rolling annualized volatility over `window` returns (window + 1 prices), one value per price from
 * the first full window on. Used to derive the volatility cone input from a price series.
 */
export function rollingVolatility(
  times: number[],
  prices: Array<number | null | undefined>,
  window: number
): { times: number[]; values: number[] } {
  const ppy = periodsPerYear(times);
  const outT: number[] = [];
  const outV: number[] = [];
  if (!ppy || window < 2) {
    return { times: outT, values: outV };
  }
  for (let end = window; end < prices.length; end++) {
    const sd = sampleStdDev(logReturns(prices.slice(end - window, end + 1)));
    if (sd !== undefined) {
      outT.push(times[end]);
      outV.push(sd * Math.sqrt(ppy));
    }
  }
  return { times: outT, values: outV };
}
