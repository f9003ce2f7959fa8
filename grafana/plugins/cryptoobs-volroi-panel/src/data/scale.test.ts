import { bubbleRadii, extent, linearScale, niceTicks, pad, roiTicks, roiTransform, timeTicks } from './scale';
import { MS_PER_DAY } from './stats';

describe('scale', () => {
  it('maps a linear domain onto a (possibly inverted) range', () => {
    const y = linearScale([0, 10], [100, 0]);
    expect(y(0)).toBe(100);
    expect(y(10)).toBe(0);
    expect(y(2.5)).toBe(75);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });

  it('computes extents and padding', () => {
    expect(extent([3, NaN, -1, 7])).toEqual([-1, 7]);
    expect(extent([NaN])).toBeUndefined();
    expect(pad([0, 10], 0.1)).toEqual([-1, 11]);
    expect(pad([2, 2], 0.5)).toEqual([1, 3]);
  });

  it('generates round ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.03, 0.97, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-12, 37, 5)).toEqual([-10, 0, 10, 20, 30]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(5, 1)).toEqual([]);
  });

  it('puts equal growth factors at equal distance on the log ROI axis', () => {
    const t = roiTransform('log');
    expect(t.to(0)).toBe(0);
    expect(t.to(9)).toBeCloseTo(1, 12);
    expect(t.to(-0.9)).toBeCloseTo(-1, 12);
    expect(t.from(t.to(3.5))).toBeCloseTo(3.5, 12);
    expect(Number.isFinite(t.to(-1))).toBe(true);
    expect(roiTransform('linear').to(3)).toBe(3);
  });

  it('picks 1-2-5 growth factor ticks on a wide log range and round ROI ticks on a narrow one', () => {
    const wide = roiTicks([-1, 1], 'log', 5);
    expect(wide.map((v) => Number(v.toFixed(6)))).toEqual([-0.9, 0, 9]);
    const medium = roiTicks([-0.4, 0.8], 'log', 6);
    expect(medium.map((v) => Number(v.toFixed(6)))).toEqual([-0.5, 0, 1, 4]);
    const narrow = roiTicks([roiTransform('log').to(-0.1), roiTransform('log').to(0.2)], 'log', 4);
    expect(narrow).toEqual([-0.1, 0, 0.1, 0.2]);
  });

  it('makes bubble area proportional to market cap', () => {
    const [big, small, none] = bubbleRadii([400, 100, undefined], 2, 20);
    expect(big).toBe(20);
    expect((big * big) / (small * small)).toBeCloseTo(4, 12);
    expect(none).toBe(11);
    expect(bubbleRadii([1, 1e12], 3, 20)[0]).toBe(3);
    expect(bubbleRadii([undefined, undefined], 2, 10)).toEqual([6, 6]);
  });

  it('generates time ticks on whole steps', () => {
    const from = Date.UTC(2021, 0, 1);
    const ticks = timeTicks(from, from + 10 * MS_PER_DAY, 5);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks.every((t) => t >= from && t <= from + 10 * MS_PER_DAY)).toBe(true);
    expect(ticks[1] - ticks[0]).toBe(2 * MS_PER_DAY);
    // A year of data: quarter starts.
    expect(timeTicks(Date.UTC(2021, 0, 31), Date.UTC(2022, 0, 1), 5)).toEqual([
      Date.UTC(2021, 3, 1),
      Date.UTC(2021, 6, 1),
      Date.UTC(2021, 9, 1),
      Date.UTC(2022, 0, 1),
    ]);
    // Three months: month starts, including `from` when it is one.
    expect(timeTicks(Date.UTC(2021, 0, 1), Date.UTC(2021, 2, 15), 5)).toEqual([
      Date.UTC(2021, 0, 1),
      Date.UTC(2021, 1, 1),
      Date.UTC(2021, 2, 1),
    ]);
    expect(timeTicks(10, 5)).toEqual([]);
  });
});
