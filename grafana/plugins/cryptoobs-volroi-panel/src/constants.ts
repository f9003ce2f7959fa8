/** data-testid values shared by the jest tests and the Chromium browser test. */
export const TEST_IDS = {
  panel: 'volroi-panel',
  message: 'volroi-message',
  issues: 'volroi-issues',
  riskReturn: 'volroi-risk-return',
  point: 'volroi-point',
  pointLabel: 'volroi-point-label',
  xAxis: 'volroi-x-axis',
  yAxis: 'volroi-y-axis',
  quadrantX: 'volroi-quadrant-x',
  quadrantY: 'volroi-quadrant-y',
  tooltip: 'volroi-tooltip',
  roiCalculator: 'volroi-roi',
  roiRow: 'volroi-roi-row',
  volatility: 'volroi-volatility',
  coneRow: 'volroi-cone-row',
  coneBand: 'volroi-cone-band',
  coneLine: 'volroi-cone-line',
  coneAlert: 'volroi-cone-alert',
} as const;

/** Fewer rolling-volatility points than this give no meaningful percentile bands. */
export const MIN_CONE_POINTS = 10;
