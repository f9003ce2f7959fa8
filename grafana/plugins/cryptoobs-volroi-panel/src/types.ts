export type PanelMode = 'riskReturn' | 'roi' | 'volatility';
export type QuadrantMode = 'median' | 'fixed' | 'none';
export type RoiScale = 'linear' | 'log';

/** Current options schema version; bump it and extend `migrateOptions` when the shape changes. */
export const OPTIONS_VERSION = 1;

export interface VolRoiOptions {
  version: number;
  mode: PanelMode;

  // Risk/return map
  quadrant: QuadrantMode;
  /** Quadrant line positions for `quadrant: 'fixed'`, fractions like the data (0.8 = 80 %). */
  quadrantVolatility: number;
  quadrantRoi: number;
  roiScale: RoiScale;
  /** Zoom the axes to the 1st–99th percentile; coins beyond are pinned to the edge. */
  pinOutliers: boolean;
  minBubble: number;
  maxBubble: number;
  /** Largest coins (by market cap) that get a text label. */
  labelCount: number;
  /** Data link to the coin detail dashboard; `${coin_id}` is filled by the panel, the rest by Grafana. */
  detailUrl: string;

  // ROI calculator
  amount: number;
  /** Dashboard variable that, when present and numeric, overrides `amount`. */
  amountVariable: string;
  amountUnit: string;
  maxRows: number;

  // Volatility cone
  /** Comma-separated percentiles of the band edges, e.g. "10,25,50,75,90". */
  percentiles: string;
  maxSeries: number;
  /** Window (in data points) used when the volatility mode receives prices instead of volatility. */
  rollingWindow: number;
}

export const DEFAULT_DETAIL_URL = '/d/coin-detail/coin-detail?var-coin=${coin_id}&${__url_time_range}';

export const DEFAULT_OPTIONS: VolRoiOptions = {
  version: OPTIONS_VERSION,
  mode: 'riskReturn',
  quadrant: 'median',
  quadrantVolatility: 1,
  quadrantRoi: 0,
  roiScale: 'log',
  pinOutliers: true,
  minBubble: 3,
  maxBubble: 28,
  labelCount: 10,
  detailUrl: DEFAULT_DETAIL_URL,
  amount: 1000,
  amountVariable: 'amount',
  amountUnit: 'currencyUSD',
  maxRows: 50,
  percentiles: '10,25,50,75,90',
  maxSeries: 6,
  rollingWindow: 30,
};
