import { parseCoinTable } from './frames';
import { buildRiskReturn, layoutRiskReturn, MARGIN, placeLabels } from './riskReturn';
import { coinTable, SAMPLE_COINS } from '../test-utils/fixtures';

const fixed = { volatility: 1, roi: 0 };

describe('buildRiskReturn', () => {
  it('places every coin with volatility and roi, with median quadrant lines', () => {
    const model = buildRiskReturn(parseCoinTable([coinTable(SAMPLE_COINS)]), 'median', fixed);
    expect(model.coins).toHaveLength(4);
    expect(model.issues).toEqual([]);
    // Medians of [0.75, 0.95, 0.02, 2.8] and [0.6, 4, 0, 35].
    expect(model.quadrant?.volatility).toBeCloseTo(0.85, 12);
    expect(model.quadrant?.roi).toBeCloseTo(2.3, 12);
  });

  it('uses fixed or no quadrant lines', () => {
    const table = parseCoinTable([coinTable(SAMPLE_COINS)]);
    expect(buildRiskReturn(table, 'fixed', fixed).quadrant).toEqual(fixed);
    expect(buildRiskReturn(table, 'none', fixed).quadrant).toBeUndefined();
  });

  it('reports a missing volatility column as an error', () => {
    const rows = SAMPLE_COINS.map(({ coin_id, roi }) => ({ coin_id, roi }));
    const model = buildRiskReturn(parseCoinTable([coinTable(rows)]), 'median', fixed);
    expect(model.coins).toEqual([]);
    expect(model.issues.map((i) => i.level)).toEqual(['error']);
    expect(model.issues[0].message).toContain('Missing column `volatility`');
  });

  it('leaves out coins without figures and notes fallbacks', () => {
    const rows = [
      { coin_id: 'a', volatility: 0.5, roi: 0.1 },
      { coin_id: 'b', volatility: null, roi: 0.2 },
    ];
    const model = buildRiskReturn(parseCoinTable([coinTable(rows)]), 'median', fixed);
    expect(model.coins.map((c) => c.coinId)).toEqual(['a']);
    expect(model.issues.map((i) => i.level)).toEqual(['warning', 'info', 'info']);
    expect(model.issues[0].message).toContain('1 of 2 coins');
    expect(model.issues[1].message).toContain('market_cap');
    expect(model.issues[2].message).toContain('change_24h_pct');
  });
});

describe('layoutRiskReturn', () => {
  const size = { width: 600, height: 400 };
  const model = buildRiskReturn(parseCoinTable([coinTable(SAMPLE_COINS)]), 'median', fixed);

  it('keeps every bubble centre inside the plot area', () => {
    for (const roiScale of ['log', 'linear'] as const) {
      const layout = layoutRiskReturn(model, size, { roiScale, minBubble: 3, maxBubble: 20 });
      for (const b of layout.bubbles) {
        expect(b.cx).toBeGreaterThanOrEqual(MARGIN.left);
        expect(b.cx).toBeLessThanOrEqual(size.width - MARGIN.right);
        expect(b.cy).toBeGreaterThanOrEqual(MARGIN.top);
        expect(b.cy).toBeLessThanOrEqual(size.height - MARGIN.bottom);
      }
      expect(layout.xTicks.length).toBeGreaterThan(1);
      expect(layout.yTicks.length).toBeGreaterThan(1);
    }
  });

  it('maps higher volatility right and higher ROI up, biggest bubble first', () => {
    const layout = layoutRiskReturn(model, size, { roiScale: 'log', minBubble: 3, maxBubble: 20 });
    const at = (id: string) => layout.bubbles.find((b) => b.coin.coinId === id)!;
    expect(at('dogecoin').cx).toBeGreaterThan(at('bitcoin').cx);
    expect(at('dogecoin').cy).toBeLessThan(at('ethereum').cy);
    expect(at('ethereum').cy).toBeLessThan(at('tether').cy);
    expect(layout.bubbles[0].coin.coinId).toBe('bitcoin');
    expect(layout.bubbles[0].r).toBe(20);
    expect(layout.x(0)).toBe(MARGIN.left);
    expect(layout.quadrant!.x).toBeCloseTo(layout.x(0.85), 9);
  });

  it('spreads a skewed ROI distribution more evenly on the log scale', () => {
    const lin = layoutRiskReturn(model, size, { roiScale: 'linear', minBubble: 3, maxBubble: 20 });
    const log = layoutRiskReturn(model, size, { roiScale: 'log', minBubble: 3, maxBubble: 20 });
    const gap = (l: typeof lin) =>
      Math.abs(
        l.bubbles.find((b) => b.coin.coinId === 'tether')!.cy - l.bubbles.find((b) => b.coin.coinId === 'ethereum')!.cy
      );
    expect(gap(log)).toBeGreaterThan(gap(lin) * 2);
  });
});

describe('outliers and labels', () => {
  // 100 ordinary coins plus two broken ones (a price glitch gives absurd ROI / volatility).
  const rows = [
    ...Array.from({ length: 100 }, (_, i) => ({ coin_id: `c${i}`, volatility: 0.5 + i / 100, roi: -0.5 + i / 50 })),
    { coin_id: 'glitch-roi', volatility: 1, roi: 1e6 },
    { coin_id: 'glitch-vol', volatility: 120, roi: 0 },
  ];
  const model = buildRiskReturn(parseCoinTable([coinTable(rows)]), 'none', fixed);
  const size = { width: 600, height: 400 };

  it('pins coins beyond the 1st–99th percentile to the edge of zoomed axes', () => {
    const pinned = layoutRiskReturn(model, size, { roiScale: 'log', minBubble: 3, maxBubble: 3, pinOutliers: true });
    const at = (id: string) => pinned.bubbles.find((b) => b.coin.coinId === id)!;
    expect(at('glitch-vol').outlier).toBe(true);
    expect(at('glitch-vol').cx).toBeCloseTo(pinned.x.range[1], 9);
    expect(at('glitch-roi').outlier).toBe(true);
    expect(at('glitch-roi').cy).toBeCloseTo(pinned.y.range[1], 9);
    expect(pinned.outliers).toBeGreaterThanOrEqual(2);
    expect(pinned.outliers).toBeLessThanOrEqual(6);
    // The ordinary coins now use most of the plot width instead of a sliver next to the y axis.
    const c99 = at('c99');
    expect(c99.cx - pinned.x.range[0]).toBeGreaterThan((pinned.x.range[1] - pinned.x.range[0]) / 2);

    const all = layoutRiskReturn(model, size, { roiScale: 'log', minBubble: 3, maxBubble: 3, pinOutliers: false });
    expect(all.outliers).toBe(0);
    expect(all.bubbles.find((b) => b.coin.coinId === 'c99')!.cx).toBeLessThan(all.x.range[0] + 20);
  });

  it('keeps every coin in view when there are few', () => {
    const few = buildRiskReturn(parseCoinTable([coinTable(SAMPLE_COINS)]), 'none', fixed);
    expect(
      layoutRiskReturn(few, size, { roiScale: 'log', minBubble: 3, maxBubble: 3, pinOutliers: true }).outliers
    ).toBe(0);
  });

  it('widens the left margin for long tick labels', () => {
    const narrow = layoutRiskReturn(model, size, {
      roiScale: 'log',
      minBubble: 3,
      maxBubble: 3,
      yLabelWidth: () => 10,
    });
    const wide = layoutRiskReturn(model, size, { roiScale: 'log', minBubble: 3, maxBubble: 3, yLabelWidth: () => 100 });
    expect(narrow.x.range[0]).toBe(MARGIN.left);
    expect(wide.x.range[0]).toBe(128);
  });

  it('drops labels that would overlap a label of a bigger coin', () => {
    const box = (id: string, x: number, y: number) => ({ id, x, y, width: 30, height: 12 });
    const kept = placeLabels([box('btc', 0, 0), box('eth', 10, 5), box('ada', 40, 0), box('xrp', 0, 20)]);
    expect(kept.map((k) => k.id)).toEqual(['btc', 'ada', 'xrp']);
  });
});
