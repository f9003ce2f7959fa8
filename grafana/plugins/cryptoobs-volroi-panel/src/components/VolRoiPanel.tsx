import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, LoadingState, PanelProps } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { TEST_IDS } from '../constants';
import { DEFAULT_OPTIONS, VolRoiOptions } from '../types';
import { DataMessage } from './DataMessage';
import { RiskReturnMap } from './RiskReturnMap';
import { RoiCalculator } from './RoiCalculator';
import { VolatilityCone } from './VolatilityCone';

export const VolRoiPanel = ({
  data,
  options,
  width,
  height,
  replaceVariables,
  timeRange,
  timeZone,
}: PanelProps<VolRoiOptions>) => {
  const styles = useStyles2(getStyles);
  // Grafana fills option defaults, but provisioned JSON or tests may pass partial options.
  const opts = useMemo(() => ({ ...DEFAULT_OPTIONS, ...options }), [options]);
  const frames = data.series ?? [];
  const queryErrors = (data.errors ?? []).map((e) => e.message ?? 'Query error');
  const hasRows = frames.some((f) => f.length > 0);

  let body: React.ReactNode;
  if (!hasRows && data.state === LoadingState.Loading) {
    // First load: no "nothing to draw" flash before the query answers.
    body = null;
  } else if (queryErrors.length && !hasRows) {
    body = <DataMessage issues={queryErrors.map((message) => ({ level: 'error', message }))} mode={opts.mode} />;
  } else if (opts.mode === 'roi') {
    body = (
      <RoiCalculator
        frames={frames}
        options={opts}
        height={height}
        replaceVariables={replaceVariables}
        timeRange={timeRange}
        timeZone={timeZone}
      />
    );
  } else if (opts.mode === 'volatility') {
    body = <VolatilityCone frames={frames} options={opts} width={width} height={height} timeZone={timeZone} />;
  } else {
    body = (
      <RiskReturnMap frames={frames} options={opts} width={width} height={height} replaceVariables={replaceVariables} />
    );
  }

  return (
    <div className={styles.wrapper} style={{ width, height }} data-testid={TEST_IDS.panel} data-mode={opts.mode}>
      {body}
    </div>
  );
};

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({ position: 'relative', overflow: 'hidden', fontFamily: theme.typography.fontFamily }),
});
