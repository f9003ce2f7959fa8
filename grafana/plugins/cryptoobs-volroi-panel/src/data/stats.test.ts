import {
  annualizedVolatility,
  logReturns,
  median,
  MS_PER_DAY,
  percentileOfSorted,
  percentileRank,
  periodsPerYear,
  rollingVolatility,
  sampleStdDev,
  seriesRoi,
  simpleReturn,
} from './stats';
import { loadFixture, rowsOf } from '../test-utils/fixtures';

const days = (n: number) => Array.from({ length: n }, (_, i) => Date.UTC(2021, 0, 1) + i * MS_PER_DAY);

describe('stats', () => {
  it('computes log returns and skips unusable prices', () => {
    expect(logReturns([100, 110, 99])).toEqual([Math.log(1.1), Math.log(0.9)]);
    expect(logReturns([100, null, 0, 50, 100])).toEqual([Math.log(2)]);
    expect(logReturns([])).toEqual([]);
  });

  it('computes the sample standard deviation', () => {
    expect(sampleStdDev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleStdDev([1])).toBeUndefined();
  });

  it('infers periods per year from the median spacing', () => {
    expect(periodsPerYear(days(10))).toBeCloseTo(365, 9);
    const hourly = Array.from({ length: 5 }, (_, i) => i * 3600 * 1000);
    expect(periodsPerYear(hourly)).toBeCloseTo(8760, 9);
    // One gap of a week among daily points does not change the inferred frequency.
    expect(periodsPerYear([0, 1, 2, 9, 10, 11].map((d) => d * MS_PER_DAY))).toBeCloseTo(365, 9);
    expect(periodsPerYear([5])).toBeUndefined();
  });

  it('annualizes the std-dev of log returns', () => {
    // Returns r, -r, r: sample variance = 4r²/3 (worked out by hand).
    const r = Math.log(1.1);
    const vol = annualizedVolatility(days(4), [100, 110, 100, 110]);
    expect(vol).toBeCloseTo(r * Math.sqrt(4 / 3) * Math.sqrt(365), 12);
    expect(annualizedVolatility(days(2), [100, 110])).toBeUndefined();
    // Constant growth has no volatility.
    expect(annualizedVolatility(days(5), [1, 2, 4, 8, 16])).toBeCloseTo(0, 12);
  });

  it('computes ROI from first and last usable prices', () => {
    expect(simpleReturn(100, 150)).toBeCloseTo(0.5, 12);
    expect(simpleReturn(0, 150)).toBeUndefined();
    expect(seriesRoi([null, 0, 50, 60, null, 75, null])).toBeCloseTo(0.5, 12);
    expect(seriesRoi([10])).toBeUndefined();
  });

  it('computes percentiles with linear interpolation and percentile ranks', () => {
    const s = [1, 2, 3, 4, 5];
    expect(percentileOfSorted(s, 50)).toBe(3);
    expect(percentileOfSorted(s, 25)).toBe(2);
    expect(percentileOfSorted(s, 10)).toBeCloseTo(1.4, 12);
    expect(percentileOfSorted([], 10)).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
    expect(percentileRank(s, 4)).toBe(80);
  });

  it('computes rolling volatility over a window of returns', () => {
    const out = rollingVolatility(days(6), [100, 110, 100, 110, 100, 110], 3);
    expect(out.times).toEqual(days(6).slice(3));
    // Each window holds alternating returns r, -r, r or -r, r, -r.
    const r = Math.log(1.1);
    out.values.forEach((v) => expect(v).toBeCloseTo(r * Math.sqrt(4 / 3) * Math.sqrt(365), 12));
    expect(rollingVolatility(days(3), [1, 2, 3], 5).values).toEqual([]);
  });

  it('gives plausible figures on real history (bitcoin, Q1 2021)', () => {
    const btc = rowsOf(loadFixture(), 'bitcoin');
    const prices = btc.map((r) => r.price);
    const roi = seriesRoi(prices)!;
    expect(roi).toBeCloseTo(prices[prices.length - 1] / prices[0] - 1, 12);
    // Bitcoin roughly doubled in Q1 2021 with an annualized volatility of 60–110 %.
    expect(roi).toBeGreaterThan(0.7);
    expect(roi).toBeLessThan(1.3);
    const vol = annualizedVolatility(
      btc.map((r) => r.time),
      prices
    )!;
    expect(vol).toBeGreaterThan(0.6);
    expect(vol).toBeLessThan(1.1);
    // Tether is a stablecoin: far calmer than bitcoin.
    const usdt = rowsOf(loadFixture(), 'tether');
    expect(
      annualizedVolatility(
        usdt.map((r) => r.time),
        usdt.map((r) => r.price)
      )!
    ).toBeLessThan(vol / 10);
  });
});
