import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import {
  DataFrame,
  dateTimeFormat,
  FieldType,
  formattedValueToString,
  getDisplayProcessor,
  GrafanaTheme2,
  InterpolateFunction,
  TimeRange,
  PanelProps,
} from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { TEST_IDS } from '../constants';
import { parseCoinTable } from '../data/frames';
import { DEFAULT_UNITS, makeFormatter } from '../data/format';
import { buildRoiRows, resolveAmount } from '../data/roiCalc';
import { roiTransform } from '../data/scale';
import { VolRoiOptions } from '../types';
import { gainColor } from './colors';
import { DataMessage, IssueBar } from './DataMessage';
import { coinLabel } from './RiskReturnMap';

interface Props {
  frames: DataFrame[];
  options: VolRoiOptions;
  height: number;
  replaceVariables?: InterpolateFunction;
  timeRange?: TimeRange;
  timeZone?: PanelProps['timeZone'];
}

export const RoiCalculator = ({ frames, options, height, replaceVariables, timeRange, timeZone }: Props) => {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const { amount, source } = resolveAmount(options.amount, options.amountVariable, replaceVariables);
  const table = useMemo(() => parseCoinTable(frames), [frames]);
  const { rows, issues } = useMemo(() => buildRoiRows(table, amount), [table, amount]);
  const fmtRoi = useMemo(() => makeFormatter(table.fields.roi, DEFAULT_UNITS.roi, theme), [table, theme]);
  const fmtMoney = useMemo(() => {
    const display = getDisplayProcessor({
      field: { type: FieldType.number, config: { unit: options.amountUnit } },
      theme,
    });
    return (v: number) => formattedValueToString(display(v));
  }, [options.amountUnit, theme]);

  if (!rows.length) {
    return <DataMessage issues={issues} mode="roi" />;
  }

  const shown = rows.slice(0, options.maxRows);
  const notes = issues.filter((i) => i.level !== 'error');
  if (rows.length > shown.length) {
    notes.push({
      level: 'info',
      message: `Showing the top ${shown.length} of ${rows.length} coins (option "Max rows").`,
    });
  }
  // Bar length on the same scale as the map's ROI axis, so 100x winners do not flatten everyone else.
  const t = roiTransform(options.roiScale);
  const maxAbs = Math.max(...shown.map((r) => Math.abs(t.to(r.roi))), 1e-9);
  const start = timeRange ? dateTimeFormat(timeRange.from, { timeZone, format: 'YYYY-MM-DD HH:mm' }) : 'the start';

  return (
    <div className={styles.container} style={{ height }} data-testid={TEST_IDS.roiCalculator}>
      <div className={styles.header}>
        <strong>{fmtMoney(amount)}</strong> invested at {start}
        {source === 'variable' ? ` ($${options.amountVariable})` : ''} is worth now:
      </div>
      <div className={styles.rows}>
        {shown.map((r) => {
          const share = (Math.abs(t.to(r.roi)) / maxAbs) * 50;
          return (
            <div key={r.coin.coinId} className={styles.row} data-testid={TEST_IDS.roiRow} data-coin={r.coin.coinId}>
              <span className={styles.rank}>{r.rank}</span>
              <span className={styles.name} title={r.coin.name ?? r.coin.coinId}>
                {coinLabel(r.coin)}
              </span>
              <span className={styles.track}>
                <span
                  className={styles.bar}
                  style={{
                    left: r.roi >= 0 ? '50%' : `${50 - share}%`,
                    width: `${share}%`,
                    background: gainColor(theme, r.roi),
                  }}
                />
              </span>
              <span className={styles.value}>{fmtMoney(r.value)}</span>
              <span className={styles.roi} style={{ color: gainColor(theme, r.roi) }}>
                {r.roi >= 0 ? '+' : ''}
                {fmtRoi(r.roi)}
              </span>
            </div>
          );
        })}
      </div>
      <IssueBar issues={notes} />
    </div>
  );
};

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', fontSize: theme.typography.bodySmall.fontSize }),
  header: css({
    color: theme.colors.text.secondary,
    padding: theme.spacing(0, 0.5),
    marginBottom: theme.spacing(0.5),
    flex: 'none',
  }),
  rows: css({ overflowY: 'auto', flex: 1, minHeight: 0 }),
  row: css({
    display: 'grid',
    gridTemplateColumns: '2.5em minmax(4em, 9em) 1fr 6.5em 7.5em',
    alignItems: 'center',
    gap: theme.spacing(1),
    height: 22,
    paddingRight: theme.spacing(1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  rank: css({ color: theme.colors.text.secondary, textAlign: 'right' }),
  name: css({ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', color: theme.colors.text.primary }),
  track: css({ position: 'relative', height: 10, background: theme.colors.background.secondary }),
  bar: css({ position: 'absolute', top: 0, bottom: 0, borderRadius: theme.shape.radius.default }),
  value: css({
    textAlign: 'right',
    color: theme.colors.text.primary,
    fontVariantNumeric: 'tabular-nums',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  }),
  roi: css({ textAlign: 'right', fontVariantNumeric: 'tabular-nums', overflow: 'hidden', textOverflow: 'ellipsis' }),
});
