/** Risk/return map model: which coins can be placed, the quadrant lines and the pixel layout. */
import { Coin, CoinTable, Issue } from './frames';
import { bubbleRadii, extent, linearScale, pad, roiTicks, roiTransform, niceTicks, Scale } from './scale';
import { isNum, median } from './stats';
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
    issues.push({ level: 'error', message: 'Missing column `volatility` (annualized, as a fraction): the risk/return map needs it.' });
  }
  if (table.coins.length && !table.provided.has('roi')) {
    issues.push({
      level: 'error',
      message: 'Missing column `roi` (or `start_price` and `end_price`, or a price series): the risk/return map needs it.',
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

export interface Bubble {
  coin: PlacedCoin;
  cx: number;
  cy: number;
  r: number;
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
}

export function layoutRiskReturn(
  model: RiskReturnModel,
  size: { width: number; height: number },
  opts: { roiScale: RoiScale; minBubble: number; maxBubble: number }
): RiskReturnLayout {
  const t = roiTransform(opts.roiScale);
  const vols = model.coins.map((c) => c.volatility);
  const ys = model.coins.map((c) => t.to(c.roi));
  if (model.quadrant) {
    vols.push(model.quadrant.volatility);
    ys.push(t.to(model.quadrant.roi));
  }
  // Volatility is never negative: start the axis at zero so distances read as ratios.
  const xDomain = pad([0, extent(vols)?.[1] ?? 1], 0.04);
  xDomain[0] = 0;
  const yDomain = pad(extent(ys) ?? [-0.1, 0.1], 0.06);
  const x = linearScale(xDomain, [MARGIN.left, Math.max(MARGIN.left + 1, size.width - MARGIN.right)]);
  const y = linearScale(yDomain, [Math.max(MARGIN.top + 1, size.height - MARGIN.bottom), MARGIN.top]);
  const yOf = (roi: number) => y(t.to(roi));
  const radii = bubbleRadii(
    model.coins.map((c) => c.marketCap),
    opts.minBubble,
    opts.maxBubble
  );
  const bubbles = model.coins.map((coin, i) => ({ coin, cx: x(coin.volatility), cy: yOf(coin.roi), r: radii[i] }));
  // Big bubbles first so the small ones stay visible (and hoverable) on top.
  bubbles.sort((a, b) => b.r - a.r);
  const plotW = size.width - MARGIN.left - MARGIN.right;
  const plotH = size.height - MARGIN.top - MARGIN.bottom;
  return {
    x,
    y,
    yOf,
    bubbles,
    xTicks: niceTicks(xDomain[0], xDomain[1], Math.max(2, Math.floor(plotW / 90))),
    yTicks: roiTicks(yDomain, opts.roiScale, Math.max(2, Math.floor(plotH / 40))),
    quadrant: model.quadrant ? { x: x(model.quadrant.volatility), y: yOf(model.quadrant.roi) } : undefined,
  };
}
