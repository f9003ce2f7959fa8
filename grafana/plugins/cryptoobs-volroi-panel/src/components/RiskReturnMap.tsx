import React, { useMemo, useState } from 'react';
import { css, cx } from '@emotion/css';
import { DataFrame, GrafanaTheme2, InterpolateFunction } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { TEST_IDS } from '../constants';
import { parseCoinTable } from '../data/frames';
import { DEFAULT_UNITS, makeFormatter } from '../data/format';
import { detailLinker } from '../data/links';
import { Bubble, buildRiskReturn, layoutRiskReturn, placeLabels, PlacedCoin } from '../data/riskReturn';
import { VolRoiOptions } from '../types';
import { CHANGE_SATURATION_PCT, changeColor, changePaint } from './colors';
import { DataMessage, ISSUE_BAR_HEIGHT, IssueBar } from './DataMessage';

interface Props {
  frames: DataFrame[];
  options: VolRoiOptions;
  width: number;
  height: number;
  replaceVariables?: InterpolateFunction;
}

const LEGEND_HEIGHT = 20;
/** Approximate width of a character of the small font, for margins and label collisions. */
const CHAR_WIDTH = 6.5;

export function coinLabel(c: { coinId: string; symbol?: string }): string {
  return c.symbol ? c.symbol.toUpperCase() : c.coinId;
}

export const RiskReturnMap = ({ frames, options, width, height, replaceVariables }: Props) => {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const [hover, setHover] = useState<number | null>(null);

  const table = useMemo(() => parseCoinTable(frames), [frames]);
  const model = useMemo(
    () =>
      buildRiskReturn(table, options.quadrant, { volatility: options.quadrantVolatility, roi: options.quadrantRoi }),
    [table, options.quadrant, options.quadrantVolatility, options.quadrantRoi]
  );
  const notes = model.issues.filter((i) => i.level !== 'error');
  const plotHeight = height - LEGEND_HEIGHT - (notes.length ? ISSUE_BAR_HEIGHT : 0);
  const fmt = useMemo(
    () => ({
      volatility: makeFormatter(table.fields.volatility, DEFAULT_UNITS.volatility, theme),
      roi: makeFormatter(table.fields.roi, DEFAULT_UNITS.roi, theme),
      marketCap: makeFormatter(table.fields.marketCap, DEFAULT_UNITS.marketCap, theme),
      change24hPct: makeFormatter(table.fields.change24hPct, DEFAULT_UNITS.change24hPct, theme),
      price: makeFormatter(table.fields.endPrice ?? table.fields.startPrice, DEFAULT_UNITS.endPrice, theme),
    }),
    [table, theme]
  );
  const layout = useMemo(
    () =>
      layoutRiskReturn(
        model,
        { width, height: plotHeight },
        {
          roiScale: options.roiScale,
          minBubble: options.minBubble,
          maxBubble: options.maxBubble,
          pinOutliers: options.pinOutliers,
          yLabelWidth: (roi) => fmt.roi(roi).length * CHAR_WIDTH,
        }
      ),
    [model, width, plotHeight, options.roiScale, options.minBubble, options.maxBubble, options.pinOutliers, fmt]
  );
  // Label the largest coins (by market cap, else the first ones) where the labels do not collide.
  const labels = useMemo(() => {
    const ranked = [...layout.bubbles].sort((a, b) => (b.coin.marketCap ?? 0) - (a.coin.marketCap ?? 0));
    const boxes = ranked.slice(0, options.labelCount).map((b) => ({
      id: b.coin.coinId,
      x: b.cx + b.r + 2,
      y: b.cy - 8,
      width: coinLabel(b.coin).length * CHAR_WIDTH,
      height: 12,
    }));
    return placeLabels(boxes);
  }, [layout.bubbles, options.labelCount]);

  const linkOf = useMemo(
    () => detailLinker(options.detailUrl, replaceVariables),
    [options.detailUrl, replaceVariables]
  );

  if (!model.coins.length) {
    return <DataMessage issues={model.issues} mode="riskReturn" />;
  }

  const { x, bubbles, xTicks, yTicks, yOf, quadrant } = layout;
  const [left, right] = x.range;
  const [bottom, top] = layout.y.range;
  const hovered = hover !== null ? bubbles[hover] : undefined;
  const onPointer = (e: React.MouseEvent) => {
    const idx = (e.target as Element).getAttribute?.('data-index');
    setHover(idx === null || idx === undefined ? null : Number(idx));
  };

  return (
    <div className={styles.container}>
      <div className={styles.legend}>
        <span>x: annualized volatility · y: ROI · area: market cap · colour: 24h change</span>
        <span className={styles.swatch} style={{ background: changeColor(theme, -CHANGE_SATURATION_PCT) }} />
        <span>−{CHANGE_SATURATION_PCT}%</span>
        <span className={styles.swatch} style={{ background: changeColor(theme, 0) }} />
        <span className={styles.swatch} style={{ background: changeColor(theme, CHANGE_SATURATION_PCT) }} />
        <span>+{CHANGE_SATURATION_PCT}%</span>
        {layout.outliers > 0 && (
          <span title="Outside the 1st–99th percentile; hover for the real figures. Option: Pin outliers.">
            · {layout.outliers} outliers pinned to the edge (dashed)
          </span>
        )}
      </div>
      <svg
        width={width}
        height={plotHeight}
        className={styles.svg}
        data-testid={TEST_IDS.riskReturn}
        role="img"
        aria-label={`Risk/return map of ${bubbles.length} coins`}
      >
        <g data-testid={TEST_IDS.xAxis} className={styles.axis}>
          {xTicks.map((t) => (
            <g key={t}>
              <line x1={x(t)} x2={x(t)} y1={top} y2={bottom} className={styles.grid} />
              <text x={x(t)} y={bottom + 14} textAnchor="middle">
                {fmt.volatility(t)}
              </text>
            </g>
          ))}
          <text x={right} y={bottom + 30} textAnchor="end" className={styles.title}>
            Annualized volatility →
          </text>
        </g>
        <g data-testid={TEST_IDS.yAxis} className={styles.axis}>
          {yTicks.map((t) => (
            <g key={t}>
              <line x1={left} x2={right} y1={yOf(t)} y2={yOf(t)} className={styles.grid} />
              <text x={left - 6} y={yOf(t) + 4} textAnchor="end">
                {fmt.roi(t)}
              </text>
            </g>
          ))}
          <text
            transform={`translate(12 ${(top + bottom) / 2}) rotate(-90)`}
            textAnchor="middle"
            className={styles.title}
          >
            ROI{options.roiScale === 'log' ? ' (log)' : ''} →
          </text>
        </g>
        {quadrant && (
          <g className={styles.quadrant}>
            <line data-testid={TEST_IDS.quadrantX} x1={quadrant.x} x2={quadrant.x} y1={top} y2={bottom} />
            <line data-testid={TEST_IDS.quadrantY} x1={left} x2={right} y1={quadrant.y} y2={quadrant.y} />
            <text x={left + 4} y={top + 12}>
              low risk · high return
            </text>
            <text x={right - 4} y={bottom - 6} textAnchor="end">
              high risk · low return
            </text>
          </g>
        )}
        <g onMouseOver={onPointer} onMouseLeave={() => setHover(null)}>
          <BubbleLayer bubbles={bubbles} linkOf={linkOf} />
        </g>
        <g className={styles.pointLabels}>
          {labels.map((l) => (
            <text key={l.id} data-testid={TEST_IDS.pointLabel} x={l.x} y={l.y + 12}>
              {coinLabel(bubbles.find((b) => b.coin.coinId === l.id)!.coin)}
            </text>
          ))}
        </g>
      </svg>
      {hovered && (
        <Tooltip
          coin={hovered.coin}
          fmt={fmt}
          style={{
            left: hovered.cx > width / 2 ? undefined : hovered.cx + hovered.r + 8,
            right: hovered.cx > width / 2 ? width - hovered.cx + hovered.r + 8 : undefined,
            top: Math.max(0, Math.min(hovered.cy + LEGEND_HEIGHT - 20, plotHeight - 140)),
          }}
        />
      )}
      <IssueBar issues={notes} />
    </div>
  );
};

/** The bubbles, memoised so that hovering (tooltip state) does not re-render a thousand circles. */
const BubbleLayer = React.memo(function BubbleLayer({
  bubbles,
  linkOf,
}: {
  bubbles: Bubble[];
  linkOf: (coin: PlacedCoin) => string | undefined;
}) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  return (
    <>
      {bubbles.map((b, i) => {
        const paint = changePaint(theme, b.coin.change24hPct);
        const circle = (
          <circle
            key={b.coin.coinId}
            data-testid={TEST_IDS.point}
            data-coin={b.coin.coinId}
            data-index={i}
            data-outlier={b.outlier || undefined}
            cx={b.cx}
            cy={b.cy}
            r={b.r}
            fill={paint.fill}
            fillOpacity={paint.opacity}
            className={b.outlier ? cx(styles.bubble, styles.outlier) : styles.bubble}
          />
        );
        const href = linkOf(b.coin);
        return href ? (
          <a key={b.coin.coinId} href={href} aria-label={`Open ${b.coin.coinId}`}>
            {circle}
          </a>
        ) : (
          circle
        );
      })}
    </>
  );
});

type Fmt = Record<'volatility' | 'roi' | 'marketCap' | 'change24hPct' | 'price', (v: number | undefined) => string>;

const Tooltip = ({ coin, fmt, style }: { coin: PlacedCoin; fmt: Fmt; style: React.CSSProperties }) => {
  const styles = useStyles2(getStyles);
  const rows: Array<[string, string]> = [
    ['Volatility (ann.)', fmt.volatility(coin.volatility)],
    ['ROI', fmt.roi(coin.roi)],
    ['Market cap', fmt.marketCap(coin.marketCap)],
    ['24h change', fmt.change24hPct(coin.change24hPct)],
  ];
  // Prices are only known for some inputs (start/end columns or a price series); omit them otherwise.
  if (coin.startPrice !== undefined || coin.endPrice !== undefined) {
    rows.push(['Start price', fmt.price(coin.startPrice)], ['End price', fmt.price(coin.endPrice)]);
  }
  return (
    <div className={styles.tooltip} style={style} data-testid={TEST_IDS.tooltip}>
      <div className={styles.tooltipTitle}>
        {coin.name ?? coin.coinId} {coin.symbol ? `(${coin.symbol.toUpperCase()})` : ''}
      </div>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td className={styles.tooltipKey}>{k}</td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className={styles.tooltipHint}>Click to open the coin detail</div>
    </div>
  );
};

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ position: 'relative', height: '100%' }),
  legend: css({
    height: LEGEND_HEIGHT,
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    paddingLeft: theme.spacing(0.5),
  }),
  swatch: css({ display: 'inline-block', width: 10, height: 10, borderRadius: theme.shape.radius.circle }),
  svg: css({ display: 'block', overflow: 'hidden' }),
  axis: css({ fontSize: theme.typography.bodySmall.fontSize, fill: theme.colors.text.secondary }),
  title: css({ fill: theme.colors.text.primary }),
  grid: css({ stroke: theme.colors.border.weak, strokeWidth: 1 }),
  quadrant: css({
    stroke: theme.colors.border.strong,
    strokeDasharray: '4 4',
    fontSize: theme.typography.bodySmall.fontSize,
    text: { stroke: 'none', fill: theme.colors.text.disabled },
  }),
  bubble: css({
    stroke: theme.colors.background.primary,
    strokeWidth: 0.75,
    cursor: 'pointer',
    '&:hover': { stroke: theme.colors.text.primary, strokeWidth: 1.5 },
  }),
  outlier: css({ strokeDasharray: '2 2', stroke: theme.colors.text.secondary, strokeWidth: 1 }),
  pointLabels: css({
    fontSize: theme.typography.bodySmall.fontSize,
    fill: theme.colors.text.primary,
    pointerEvents: 'none',
  }),
  tooltip: css({
    position: 'absolute',
    zIndex: theme.zIndex.tooltip,
    pointerEvents: 'none',
    padding: theme.spacing(1),
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    boxShadow: theme.shadows.z2,
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.primary,
    whiteSpace: 'nowrap',
  }),
  tooltipTitle: css({ fontWeight: theme.typography.fontWeightMedium, marginBottom: theme.spacing(0.5) }),
  tooltipKey: css({ color: theme.colors.text.secondary, paddingRight: theme.spacing(1) }),
  tooltipHint: css({ marginTop: theme.spacing(0.5), color: theme.colors.text.disabled }),
});
