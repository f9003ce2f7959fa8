/**
 * Test helpers: frames in the shapes of the dashboards' SQL, and frames built from the real-history fixture
 * (test/fixtures/coingecko-2021q1.csv, MIT, see test/fixtures/README.md).
 */
import fs from 'fs';
import path from 'path';
import {
  createDataFrame,
  dateTime,
  FieldType,
  LoadingState,
  PanelData,
  PanelProps,
  DataFrame,
  EventBusSrv,
} from '@grafana/data';
import { DEFAULT_OPTIONS, VolRoiOptions } from '../types';

export interface HistoryRow {
  time: number;
  coinId: string;
  price: number;
  marketCap: number;
}

export function loadFixture(): HistoryRow[] {
  const file = path.resolve(__dirname, '../../test/fixtures/coingecko-2021q1.csv');
  const [, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [time, coinId, price, marketCap] = line.split(',');
    return { time: Number(time), coinId, price: Number(price), marketCap: Number(marketCap) };
  });
}

export function rowsOf(rows: HistoryRow[], coinId: string): HistoryRow[] {
  return rows.filter((r) => r.coinId === coinId);
}

/** Long price frame: time, coin_id, price (what a `format: table` price query returns). */
export function longPriceFrame(rows: HistoryRow[], refId = 'A'): DataFrame {
  return createDataFrame({
    refId,
    fields: [
      { name: 'time', type: FieldType.time, values: rows.map((r) => r.time) },
      { name: 'coin_id', type: FieldType.string, values: rows.map((r) => r.coinId) },
      { name: 'price', type: FieldType.number, values: rows.map((r) => r.price) },
    ],
  });
}

export interface CoinRow {
  coin_id: string;
  symbol?: string;
  name?: string;
  volatility?: number | null;
  roi?: number | null;
  market_cap?: number | null;
  change_24h_pct?: number | null;
}

/** One-row-per-coin table frame with the given columns (all rows share the columns of the first). */
export function coinTable(rows: CoinRow[], refId = 'A'): DataFrame {
  const columns = Object.keys(rows[0] ?? { coin_id: '' }) as Array<keyof CoinRow>;
  return createDataFrame({
    refId,
    fields: columns.map((c) => ({
      name: c,
      type: ['coin_id', 'symbol', 'name'].includes(c) ? FieldType.string : FieldType.number,
      values: rows.map((r) => r[c] ?? null),
    })),
  });
}

export const SAMPLE_COINS: CoinRow[] = [
  {
    coin_id: 'bitcoin',
    symbol: 'btc',
    name: 'Bitcoin',
    volatility: 0.75,
    roi: 0.6,
    market_cap: 9e11,
    change_24h_pct: 2.5,
  },
  {
    coin_id: 'ethereum',
    symbol: 'eth',
    name: 'Ethereum',
    volatility: 0.95,
    roi: 4.0,
    market_cap: 4e11,
    change_24h_pct: -3,
  },
  {
    coin_id: 'tether',
    symbol: 'usdt',
    name: 'Tether',
    volatility: 0.02,
    roi: 0.0,
    market_cap: 7e10,
    change_24h_pct: 0,
  },
  {
    coin_id: 'dogecoin',
    symbol: 'doge',
    name: 'Dogecoin',
    volatility: 2.8,
    roi: 35,
    market_cap: 3e10,
    change_24h_pct: 12,
  },
];

const DAY = 24 * 3600 * 1000;

/** Long rolling-volatility frame: a calm history and a spike at the end for `spiky`. */
export function volatilityFrame(coins: string[], points: number, spiky?: string): DataFrame {
  const time: number[] = [];
  const coin: string[] = [];
  const vol: number[] = [];
  coins.forEach((id, c) => {
    for (let i = 0; i < points; i++) {
      time.push(Date.UTC(2021, 0, 1) + i * DAY);
      coin.push(id);
      const base = 0.5 + 0.1 * c + 0.05 * Math.sin(i / 3);
      vol.push(id === spiky && i === points - 1 ? base * 3 : base);
    }
  });
  return createDataFrame({
    refId: 'A',
    fields: [
      { name: 'time', type: FieldType.time, values: time },
      { name: 'coin_id', type: FieldType.string, values: coin },
      { name: 'volatility', type: FieldType.number, values: vol },
    ],
  });
}

export function panelData(series: DataFrame[], extra: Partial<PanelData> = {}): PanelData {
  const from = dateTime(Date.UTC(2021, 0, 1));
  const to = dateTime(Date.UTC(2021, 3, 1));
  return { state: LoadingState.Done, series, timeRange: { from, to, raw: { from, to } }, ...extra };
}

export function panelProps(
  series: DataFrame[],
  options: Partial<VolRoiOptions> = {},
  extra: Partial<PanelProps<VolRoiOptions>> = {}
): PanelProps<VolRoiOptions> {
  const data = panelData(series);
  return {
    id: 1,
    data,
    timeRange: data.timeRange,
    timeZone: 'utc',
    options: { ...DEFAULT_OPTIONS, ...options },
    transparent: false,
    width: 800,
    height: 400,
    fieldConfig: { defaults: {}, overrides: [] },
    renderCounter: 0,
    title: 'Volatility & ROI',
    eventBus: new EventBusSrv(),
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    replaceVariables: (s: string) => s,
    onChangeTimeRange: jest.fn(),
    ...extra,
  };
}
