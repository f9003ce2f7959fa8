import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { TEST_IDS } from '../constants';
import { Issue } from '../data/frames';
import { PanelMode } from '../types';

/** What each mode expects, shown under the problem list so the fix is obvious from the panel itself. */
export const EXPECTED: Record<PanelMode, string> = {
  riskReturn:
    'Expected one row per coin: coin_id, volatility (annualized fraction), roi (fraction), optional symbol, name, ' +
    'market_cap, change_24h_pct; or a price series (time, coin_id, price).',
  roi:
    'Expected one row per coin: coin_id and roi (fraction) or start_price + end_price; or a price series ' +
    '(time, coin_id, price).',
  volatility:
    'Expected rolling volatility per coin: time, coin_id, volatility (long) or time + one column per coin (wide); ' +
    'or time, coin_id, price to compute it.',
};

/** Full-panel message when nothing can be drawn. */
export const DataMessage = ({ issues, mode }: { issues: Issue[]; mode: PanelMode }) => {
  const styles = useStyles2(getStyles);
  const shown = issues.length ? issues : [{ level: 'error' as const, message: 'No data.' }];
  return (
    <div className={styles.message} data-testid={TEST_IDS.message} role="alert">
      <strong>Volatility &amp; ROI: nothing to draw</strong>
      <ul className={styles.list}>
        {shown.map((issue, i) => (
          <li key={i} className={issue.level === 'error' ? styles.error : undefined}>
            {issue.message}
          </li>
        ))}
      </ul>
      <div className={styles.hint}>{EXPECTED[mode]}</div>
    </div>
  );
};

/** One-line note under a chart for what was left out or replaced by a fallback; hover for the full list. */
export const IssueBar = ({ issues }: { issues: Issue[] }) => {
  const styles = useStyles2(getStyles);
  if (!issues.length) {
    return null;
  }
  const all = issues.map((i) => i.message).join('\n');
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return (
    <div className={styles.bar} data-testid={TEST_IDS.issues} title={all}>
      {issues[0].message}
      {more}
    </div>
  );
};

export const ISSUE_BAR_HEIGHT = 20;

const getStyles = (theme: GrafanaTheme2) => ({
  message: css({
    height: '100%',
    overflow: 'auto',
    padding: theme.spacing(1),
    color: theme.colors.text.primary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  list: css({ margin: theme.spacing(0.5, 0), paddingLeft: theme.spacing(2) }),
  error: css({ color: theme.colors.error.text }),
  hint: css({ color: theme.colors.text.secondary }),
  bar: css({
    height: ISSUE_BAR_HEIGHT,
    lineHeight: `${ISSUE_BAR_HEIGHT}px`,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    textOverflow: 'ellipsis',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
