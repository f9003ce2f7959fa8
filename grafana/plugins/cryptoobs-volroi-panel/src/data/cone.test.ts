import { buildCone, buildCones, parsePercentiles, volatilitySeries } from './cone';
import { Series } from './frames';
import { loadFixture, longPriceFrame, rowsOf, volatilityFrame } from '../test-utils/fixtures';
import { MIN_CONE_POINTS } from '../constants';

const series = (values: number[]): Series => ({
  coinId: 'x',
  label: 'x',
  values,
  times: values.map((_, i) => i * 86400000),
});

describe('volatility cone', () => {
  it('parses percentile lists', () => {
    expect(parsePercentiles('90, 10,25;50 75')).toEqual([10, 25, 50, 75, 90]);
    expect(parsePercentiles('0,100,abc,-5,50,50')).toEqual([50]);
    expect(parsePercentiles([25, 75])).toEqual([25, 75]);
    expect(parsePercentiles('')).toEqual([]);
  });

  it('computes bands of the coin history and flags an unusually high latest value', () => {
    const calm = Array.from({ length: 20 }, (_, i) => 0.5 + (i % 5) * 0.01);
    const cone = buildCone(series([...calm, 0.9]), [10, 50, 90]);
    expect(cone.bands.map((b) => b.p)).toEqual([10, 50, 90]);
    expect(cone.bands[0].value).toBeLessThan(cone.bands[1].value);
    expect(cone.bands[2].value).toBeCloseTo(0.54, 9);
    expect(cone.latest?.value).toBe(0.9);
    expect(cone.latestRank).toBe(100);
    expect(cone.unusual).toBe(true);
    expect(buildCone(series([...calm, 0.51]), [10, 50, 90]).unusual).toBe(false);
  });

  it('draws no bands below the minimum number of points', () => {
    const cone = buildCone(series(Array(MIN_CONE_POINTS - 1).fill(0.5)), [10, 90]);
    expect(cone.bands).toEqual([]);
    expect(cone.unusual).toBe(false);
    expect(cone.latest?.value).toBe(0.5);
  });

  it('computes rolling volatility when only prices are given', () => {
    const rows = loadFixture();
    const { series: out, issues } = volatilitySeries([longPriceFrame(rows)], 30);
    expect(out).toHaveLength(4);
    expect(out[0].values).toHaveLength(rowsOf(rows, out[0].coinId).length - 30);
    expect(issues.map((i) => i.level)).toEqual(['info']);
  });

  it('limits the number of coins and explains what is not shown', () => {
    const { cones, hidden, issues } = buildCones([volatilityFrame(['a', 'b', 'c'], 30, 'b')], {
      percentiles: '10,25,50,75,90',
      maxSeries: 2,
      rollingWindow: 30,
    });
    expect(cones.map((c) => c.series.coinId)).toEqual(['a', 'b']);
    expect(cones.map((c) => c.unusual)).toEqual([false, true]);
    expect(hidden).toBe(1);
    expect(issues[0].message).toContain('Showing 2 of 3');
  });

  it('warns about short series and bad percentiles', () => {
    const short = buildCones([volatilityFrame(['a'], 5)], { percentiles: '10,90', maxSeries: 5, rollingWindow: 30 });
    expect(short.issues[0].message).toContain('a (5)');
    const bad = buildCones([volatilityFrame(['a'], 20)], { percentiles: 'x', maxSeries: 5, rollingWindow: 30 });
    expect(bad.issues[0].message).toContain('No valid percentiles');
    expect(bad.cones[0].bands).toEqual([]);
  });
});
