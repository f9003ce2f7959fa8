/** Risk/return map model: which coins can be placed, the quadrant lines and the pixel layout. */
import { Coin, CoinTable, Issue } from './frames';
import { bubbleRadii, extent, linearScale, pad, roiTicks, roiTransform, niceTicks, Scale } from './scale';
import { isNum, median, percentileOfSorted } from './stats';
import { QuadrantMode, RoiScale } from '../types';

export interface PlacedCoin extends Coin {
  volatility: number;
  roi: number;
}

export interface RiskReturnModel {
  coins: PlacedCoin[];
  quadrant?: { volatility: number; roi: number };
  issues: Issue[];
}

function listSome(ids: string[], max = 5): string {
  return ids.length > max ? `${ids.slice(0, max).join(', ')} and ${ids.length - max} more` : ids.join(', ');
}

export function buildRiskReturn(
  table: CoinTable,
  quadrant: QuadrantMode,
  fixed: { volatility: number; roi: number }
): RiskReturnModel {
  const issues: Issue[] = [...table.issues];
  if (table.coins.length && !table.provided.has('volatility')) {
    issues.push({
      level: 'error',
      message: 'Missing column `volatility` (annualized, as a fraction): the risk/return map needs it.',
    });
  }
  if (table.coins.length && !table.provided.has('roi')) {
    issues.push({
      level: 'error',
      message:
        'Missing column `roi` (or `start_price` and `end_price`, or a price series): the risk/return map needs it.',
    });
  }
  const coins = table.coins.filter((c): c is PlacedCoin => isNum(c.volatility) && isNum(c.roi));
  const left = table.coins.filter((c) => !isNum(c.volatility) || !isNum(c.roi)).map((c) => c.coinId);
  if (left.length && table.provided.has('volatility') && table.provided.has('roi')) {
    issues.push({
      level: coins.length ? 'warning' : 'error',
      message: `${left.length} of ${table.coins.length} coins have no volatility or ROI and are not shown: ${listSome(left)}.`,
    });
  }
  if (coins.length && !table.provided.has('marketCap')) {
    issues.push({ level: 'info', message: 'No `market_cap` column: all bubbles have the same size.' });
  }
  if (coins.length && !table.provided.has('change24hPct')) {
    issues.push({ level: 'info', message: 'No `change_24h_pct` column: bubbles use a neutral colour.' });
  }

  let q: RiskReturnModel['quadrant'];
  if (coins.length && quadrant === 'median') {
    q = { volatility: median(coins.map((c) => c.volatility))!, roi: median(coins.map((c) => c.roi))! };
  } else if (coins.length && quadrant === 'fixed') {
    q = fixed;
  }
  return { coins, quadrant: q, issues };
}

export const MARGIN = { top: 12, right: 16, bottom: 36, left: 60 };

/** Share of coins allowed outside each end of the zoomed axes when outliers are pinned. */
export const OUTLIER_QUANTILE = 0.01;

export interface Bubble {
  coin: PlacedCoin;
  cx: number;
  cy: number;
  r: number;
  /** Beyond the zoomed axes and pinned to their edge. */
  outlier: boolean;
}

export interface RiskReturnLayout {
  x: Scale;
  /** Maps the transformed ROI (see roiTransform) to pixels. */
  y: Scale;
  yOf: (roi: number) => number;
  bubbles: Bubble[];
  xTicks: number[];
  yTicks: number[];
  quadrant?: { x: number; y: number };
  outliers: number;
}

export interface LayoutOptions {
  roiScale: RoiScale;
  minBubble: number;
  maxBubble: number;
  /** Zoom the axes to the 1st–99th percentile so a few broken or extreme coins do not squash the rest. */
  pinOutliers?: boolean;
  /** Pixel width of a y tick label, to size the left margin. */
  yLabelWidth?: (roi: number) => number;
}

function quantile(values: number[], q: number): number {
  return percentileOfSorted(
    [...values].sort((a, b) => a - b),
    q * 100
  );
}

export function layoutRiskReturn(
  model: RiskReturnModel,
  size: { width: number; height: number },
  opts: LayoutOptions
): RiskReturnLayout {
  const t = roiTransform(opts.roiScale);
  const vols = model.coins.map((c) => c.volatility);
  const ys = model.coins.map((c) => t.to(c.roi));
  // Enough coins for percentiles to mean something; with a handful every coin stays in view.
  const pin = !!opts.pinOutliers && model.coins.length >= 50;
  const xMax = pin ? quantile(vols, 1 - OUTLIER_QUANTILE) : (extent(vols)?.[1] ?? 1);
  const yRange: [number, number] = pin
    ? [quantile(ys, OUTLIER_QUANTILE), quantile(ys, 1 - OUTLIER_QUANTILE)]
    : (extent(ys) ?? [-0.1, 0.1]);
  const q = model.quadrant;
  // Volatility is never negative: start the axis at zero so distances read as ratios.
  const xDomain: [number, number] = [0, pad([0, Math.max(xMax, q?.volatility ?? 0)], 0.04)[1]];
  const yDomain = pad(q ? (extent([...yRange, t.to(q.roi)]) as [number, number]) : yRange, 0.06);

  const plotH = size.height - MARGIN.top - MARGIN.bottom;
  const yTicks = roiTicks(yDomain, opts.roiScale, Math.max(2, Math.floor(plotH / 40)));
  const labelW = opts.yLabelWidth ? Math.max(0, ...yTicks.map(opts.yLabelWidth)) : 0;
  const left = Math.max(MARGIN.left, labelW + 28);
  const plotW = size.width - left - MARGIN.right;

  const x = linearScale(xDomain, [left, Math.max(left + 1, size.width - MARGIN.right)]);
  const y = linearScale(yDomain, [Math.max(MARGIN.top + 1, size.height - MARGIN.bottom), MARGIN.top]);
  const yOf = (roi: number) => y(t.to(roi));
  const radii = bubbleRadii(
    model.coins.map((c) => c.marketCap),
    opts.minBubble,
    opts.maxBubble
  );
  const clampX = (v: number) => Math.min(Math.max(v, xDomain[0]), xDomain[1]);
  const clampY = (v: number) => Math.min(Math.max(v, yDomain[0]), yDomain[1]);
  const bubbles = model.coins.map((coin, i) => {
    const vx = clampX(coin.volatility);
    const vy = clampY(t.to(coin.roi));
    return {
      coin,
      cx: x(vx),
      cy: y(vy),
      r: radii[i],
      outlier: vx !== coin.volatility || vy !== t.to(coin.roi),
    };
  });
  // Big bubbles first so the small ones stay visible (and hoverable) on top.
  bubbles.sort((a, b) => b.r - a.r);
  return {
    x,
    y,
    yOf,
    bubbles,
    xTicks: niceTicks(xDomain[0], xDomain[1], Math.max(2, Math.floor(plotW / 90))),
    yTicks,
    quadrant: q ? { x: x(q.volatility), y: yOf(q.roi) } : undefined,
    outliers: bubbles.filter((b) => b.outlier).length,
  };
}

export interface LabelBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Greedy label placement: candidates in priority order, each kept only if it does not overlap one already kept,
 * so the biggest coins keep their labels in a crowded cluster.
 */
export function placeLabels(candidates: LabelBox[]): LabelBox[] {
  const kept: LabelBox[] = [];
  for (const c of candidates) {
    const clash = kept.some(
      (k) => c.x < k.x + k.width && k.x < c.x + c.width && c.y < k.y + k.height && k.y < c.y + c.height
    );
    if (!clash) {
      kept.push(c);
    }
  }
  return kept;
}
