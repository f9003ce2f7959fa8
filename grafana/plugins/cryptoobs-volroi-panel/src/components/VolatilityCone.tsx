import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import { colorManipulator, DataFrame, dateTimeFormat, GrafanaTheme2, PanelProps } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { TEST_IDS } from '../constants';
import { buildCones, Cone } from '../data/cone';
import { DEFAULT_UNITS, Formatter, makeFormatter } from '../data/format';
import { extent, linearScale, niceTicks, Scale, timeTicks } from '../data/scale';
import { MS_PER_DAY } from '../data/stats';
import { VolRoiOptions } from '../types';
import { seriesColor } from './colors';
import { DataMessage, ISSUE_BAR_HEIGHT, IssueBar } from './DataMessage';

interface Props {
  frames: DataFrame[];
  options: VolRoiOptions;
  width: number;
  height: number;
  timeZone?: PanelProps['timeZone'];
}

const MARGIN = { left: 56, right: 12, top: 4, axis: 22 };
const MIN_ROW = 48;

function timeFormat(span: number): string {
  return span > 400 * MS_PER_DAY ? 'YYYY-MM' : span > 2 * MS_PER_DAY ? 'MMM DD' : 'HH:mm';
}

export const VolatilityCone = ({ frames, options, width, height, timeZone }: Props) => {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const { cones, issues } = useMemo(
    () =>
      buildCones(frames, {
        percentiles: options.percentiles,
        maxSeries: options.maxSeries,
        rollingWindow: options.rollingWindow,
      }),
    [frames, options.percentiles, options.maxSeries, options.rollingWindow]
  );

  if (!cones.length) {
    return <DataMessage issues={issues} mode="volatility" />;
  }

  const notes = issues.filter((i) => i.level !== 'error');
  const available = height - MARGIN.axis - (notes.length ? ISSUE_BAR_HEIGHT : 0);
  const rowHeight = Math.max(MIN_ROW, Math.floor(available / cones.length));
  const [t0, t1] = extent(cones.flatMap((c) => [c.series.times[0], c.series.times[c.series.times.length - 1]])) ?? [
    0, 1,
  ];
  const x = linearScale([t0, t1], [MARGIN.left, Math.max(MARGIN.left + 1, width - MARGIN.right)]);
  const ticks = timeTicks(t0, t1, Math.max(2, Math.floor(width / 110)));
  const fmtTime = timeFormat(t1 - t0);

  return (
    <div className={styles.container} style={{ height }} data-testid={TEST_IDS.volatility}>
      <div className={styles.rows} style={{ maxHeight: available }}>
        {cones.map((cone, i) => (
          <ConeRow
            key={cone.series.coinId}
            cone={cone}
            x={x}
            width={width}
            height={rowHeight}
            color={seriesColor(theme, i)}
            fmt={makeFormatter(cone.series.field, DEFAULT_UNITS.volatility, theme)}
          />
        ))}
      </div>
      <svg width={width} height={MARGIN.axis} data-testid={TEST_IDS.xAxis} className={styles.axis}>
        {ticks.map((t) => (
          <text key={t} x={x(t)} y={14} textAnchor="middle">
            {dateTimeFormat(t, { timeZone, format: fmtTime })}
          </text>
        ))}
      </svg>
      <IssueBar issues={notes} />
    </div>
  );
};

interface RowProps {
  cone: Cone;
  x: Scale;
  width: number;
  height: number;
  color: string;
  fmt: Formatter;
}

const ConeRow = ({ cone, x, width, height, color, fmt }: RowProps) => {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const { series, bands, latest } = cone;
  const hi = Math.max(...series.values, ...bands.map((b) => b.value));
  const yTicks = niceTicks(0, hi, 2);
  const top = Math.max(hi, yTicks[yTicks.length - 1] ?? hi) * 1.05 || 1;
  const y = linearScale([0, top], [height - 6, MARGIN.top + 12]);
  const [left, right] = x.range;
  const path = series.times
    .map((t, i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(series.values[i]).toFixed(1)}`)
    .join('');
  // Outer band pairs (p10–p90) faint, inner ones (p25–p75) stronger; an odd middle percentile is a dashed line.
  const pairs = Math.floor(bands.length / 2);
  const middle = bands.length % 2 ? bands[pairs] : undefined;
  const rank = cone.latestRank !== undefined ? ` · p${Math.round(cone.latestRank)} of its history` : '';

  return (
    <svg width={width} height={height} className={styles.row} data-testid={TEST_IDS.coneRow} data-coin={series.coinId}>
      {Array.from({ length: pairs }, (_, k) => {
        const lo = bands[k];
        const up = bands[bands.length - 1 - k];
        return (
          <rect
            key={lo.p}
            data-testid={TEST_IDS.coneBand}
            x={left}
            width={right - left}
            y={y(up.value)}
            height={Math.max(1, y(lo.value) - y(up.value))}
            fill={colorManipulator.alpha(color, 0.1 + 0.12 * k)}
          >
            <title>{`p${lo.p}–p${up.p}: ${fmt(lo.value)} – ${fmt(up.value)}`}</title>
          </rect>
        );
      })}
      {middle && (
        <line x1={left} x2={right} y1={y(middle.value)} y2={y(middle.value)} stroke={color} className={styles.median} />
      )}
      <g className={styles.axis}>
        {yTicks.map((t) => (
          <text key={t} x={left - 6} y={y(t) + 4} textAnchor="end">
            {fmt(t)}
          </text>
        ))}
        <line x1={left} x2={right} y1={y(0)} y2={y(0)} className={styles.baseline} />
      </g>
      <path d={path} fill="none" stroke={color} strokeWidth={1.5} data-testid={TEST_IDS.coneLine} />
      {latest && (
        <circle
          cx={x(latest.time)}
          cy={y(latest.value)}
          r={cone.unusual ? 5 : 3}
          fill={cone.unusual ? theme.colors.error.main : color}
          stroke={theme.colors.background.primary}
          data-testid={cone.unusual ? TEST_IDS.coneAlert : undefined}
        />
      )}
      <text x={left + 4} y={MARGIN.top + 10} className={styles.label}>
        <tspan className={styles.name}>{series.label}</tspan>
        {latest ? `  ${fmt(latest.value)}${rank}` : ''}
        {cone.unusual && (
          <tspan className={styles.alert}>{`  ▲ above p${bands[bands.length - 1].p}: unusually volatile`}</tspan>
        )}
      </text>
    </svg>
  );
};

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column' }),
  rows: css({ overflowY: 'auto' }),
  row: css({ display: 'block', borderBottom: `1px solid ${theme.colors.border.weak}` }),
  axis: css({ display: 'block', fontSize: theme.typography.bodySmall.fontSize, fill: theme.colors.text.secondary }),
  baseline: css({ stroke: theme.colors.border.medium }),
  median: css({ strokeDasharray: '3 3', strokeOpacity: 0.7 }),
  label: css({ fontSize: theme.typography.bodySmall.fontSize, fill: theme.colors.text.secondary }),
  name: css({ fill: theme.colors.text.primary, fontWeight: theme.typography.fontWeightMedium }),
  alert: css({ fill: theme.colors.error.text, fontWeight: theme.typography.fontWeightMedium }),
});
