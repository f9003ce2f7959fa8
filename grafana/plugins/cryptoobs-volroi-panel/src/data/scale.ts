/** Scales and tick generation for the SVG charts (pure, pixel maths only). */
import { isNum, MS_PER_DAY } from './stats';

export interface Scale {
  (v: number): number;
  domain: [number, number];
  range: [number, number];
}

export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  // A zero-width domain maps everything to the middle instead of dividing by zero.
  const f = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0))) as Scale;
  f.domain = domain;
  f.range = range;
  return f;
}

/** [min, max] of the finite values, or undefined when there are none. */
export function extent(values: number[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (isNum(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Widen a domain by a fraction of its span (or of its magnitude when it is a single value). */
export function pad([lo, hi]: [number, number], fraction = 0.05): [number, number] {
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - span * fraction, hi + span * fraction];
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const nice = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return nice * mag;
}

/** About `count` evenly spaced round values inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!isNum(lo) || !isNum(hi) || hi < lo) {
    return [];
  }
  if (hi === lo) {
    return [lo];
  }
  const step = niceStep(hi - lo, count);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    // Round away floating noise like 0.30000000000000004.
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/**
 * ROI axis transform. 'log' plots log10 of the growth factor (1 + roi), so -90 % and +900 % are equally far
 * from zero and a few 100x coins do not flatten everything else. ROI <= -100 % is clamped just above it.
 */
export function roiTransform(scale: 'linear' | 'log'): { to: (roi: number) => number; from: (y: number) => number } {
  if (scale === 'linear') {
    return { to: (r) => r, from: (y) => y };
  }
  return { to: (r) => Math.log10(Math.max(1 + r, 1e-4)), from: (y) => Math.pow(10, y) - 1 };
}

const FACTOR_STEPS = [1, 2, 5];

/** Ticks for the ROI axis in ROI units (fractions), for the given transform's domain. */
export function roiTicks(domain: [number, number], scale: 'linear' | 'log', count = 5): number[] {
  const t = roiTransform(scale);
  const lo = t.from(domain[0]);
  const hi = t.from(domain[1]);
  // Less than about a factor 3 in range: log and linear look alike, and round ROI values read better.
  if (scale === 'linear' || domain[1] - domain[0] < 0.5) {
    return niceTicks(lo, hi, count);
  }
  const factors: number[] = [];
  for (let e = Math.floor(domain[0]) - 1; e <= Math.ceil(domain[1]) + 1; e++) {
    for (const m of FACTOR_STEPS) {
      factors.push(m * Math.pow(10, e));
    }
  }
  const inRange = factors.map((f) => f - 1).filter((r) => r >= lo && r <= hi);
  // Thin the 1-2-5 sequence to 1-10-100 when there are too many ticks.
  return inRange.length > count ? inRange.filter((r) => Number.isInteger(Math.log10(r + 1))) : inRange;
}

/**
 * Bubble radii so that bubble AREA is proportional to market cap. Coins without a market cap (or when no
 * coin has one) get the middle size.
 */
export function bubbleRadii(caps: Array<number | undefined>, minR: number, maxR: number): number[] {
  const valid = caps.filter((c): c is number => isNum(c) && c > 0);
  const mid = (minR + maxR) / 2;
  if (!valid.length) {
    return caps.map(() => mid);
  }
  const maxCap = Math.max(...valid);
  return caps.map((c) => {
    if (!isNum(c) || c <= 0) {
      return mid;
    }
    return Math.max(minR, maxR * Math.sqrt(c / maxCap));
  });
}

const HOUR = 60 * 60 * 1000;
const TIME_STEPS = [HOUR, 6 * HOUR, MS_PER_DAY, 2 * MS_PER_DAY, 7 * MS_PER_DAY, 14 * MS_PER_DAY];
const MONTH_STEPS = [1, 3, 6, 12];
const MS_PER_MONTH = 30.44 * MS_PER_DAY;

/**
 * About `count` time ticks (ms): whole hours/days/weeks (UTC) for short ranges, first days of months,
 * quarters, half-years or years for long ones.
 */
export function timeTicks(from: number, to: number, count = 5): number[] {
  if (!isNum(from) || !isNum(to) || to <= from) {
    return [];
  }
  const step = TIME_STEPS.find((s) => (to - from) / s <= count);
  const ticks: number[] = [];
  if (step) {
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
      ticks.push(t);
    }
    return ticks;
  }
  const months = MONTH_STEPS.find((m) => (to - from) / (m * MS_PER_MONTH) <= count) ?? 12;
  const start = new Date(from);
  const y = start.getUTCFullYear();
  // First month boundary at or after `from` that is a multiple of the step (Jan, Apr, Jul, Oct for quarters).
  let m =
    Math.ceil((start.getUTCMonth() + (start.getTime() > Date.UTC(y, start.getUTCMonth()) ? 1 : 0)) / months) * months;
  for (let t = Date.UTC(y, m); t <= to; m += months, t = Date.UTC(y, m)) {
    ticks.push(t);
  }
  return ticks;
}
