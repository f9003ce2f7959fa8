/**
 * Turns the frames of the dashboards' SQL into plain per-coin records. Accepted inputs (see README):
 * - table: one row per coin with `coin_id` and figure columns (several frames are concatenated);
 * - long series: `time`, `coin_id`, `price` (or `volatility`);
 * - wide series: `time` + one numeric field per coin (coin from labels or display name).
 */
import { DataFrame, Field, FieldType } from '@grafana/data';
import { annualizedVolatility, isNum, seriesRoi, simpleReturn } from './stats';

export const COLUMNS = {
  coinId: 'coin_id',
  symbol: 'symbol',
  name: 'name',
  volatility: 'volatility',
  roi: 'roi',
  marketCap: 'market_cap',
  change24hPct: 'change_24h_pct',
  startPrice: 'start_price',
  endPrice: 'end_price',
  time: 'time',
  price: 'price',
} as const;

export type FrameShape = 'table' | 'long' | 'wide';

export interface Issue {
  /** error: nothing (or not this mode) can be drawn; warning: some coins are left out; info: a fallback is used. */
  level: 'error' | 'warning' | 'info';
  message: string;
}

/** Where a coin's row came from, to resolve field data links for it. */
export interface RowRef {
  frame: DataFrame;
  rowIndex: number;
}

export interface Coin {
  coinId: string;
  symbol?: string;
  name?: string;
  volatility?: number;
  roi?: number;
  marketCap?: number;
  change24hPct?: number;
  startPrice?: number;
  endPrice?: number;
  ref?: RowRef;
}

export type Figure = 'volatility' | 'roi' | 'marketCap' | 'change24hPct' | 'startPrice' | 'endPrice';

export interface CoinTable {
  coins: Coin[];
  /** Source field of each figure, so units and decimals come from its field config. */
  fields: Partial<Record<Figure, Field>>;
  /** Figures that some input provides (a column, or derived from prices). */
  provided: Set<Figure>;
  shapes: FrameShape[];
  issues: Issue[];
}

export interface Series {
  coinId: string;
  label: string;
  times: number[];
  values: number[];
  field?: Field;
  symbol?: string;
  name?: string;
  marketCap?: number;
  change24hPct?: number;
  ref?: RowRef;
}

export interface SeriesSet {
  series: Series[];
  shapes: FrameShape[];
  issues: Issue[];
}

const FIGURE_COLUMNS: Record<Figure, string> = {
  volatility: COLUMNS.volatility,
  roi: COLUMNS.roi,
  marketCap: COLUMNS.marketCap,
  change24hPct: COLUMNS.change24hPct,
  startPrice: COLUMNS.startPrice,
  endPrice: COLUMNS.endPrice,
};

export function findField(frame: DataFrame, name: string): Field | undefined {
  const lower = name.toLowerCase();
  return frame.fields.find((f) => f.name.toLowerCase() === lower);
}

export function findTimeField(frame: DataFrame): Field | undefined {
  return frame.fields.find((f) => f.type === FieldType.time) ?? findField(frame, COLUMNS.time);
}

export function toNumber(v: unknown): number | undefined {
  if (isNum(v)) {
    return v;
  }
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toText(v: unknown): string | undefined {
  if (v === null || v === undefined) {
    return undefined;
  }
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

function toTime(v: unknown): number | undefined {
  if (v instanceof Date) {
    return v.getTime();
  }
  const n = toNumber(v);
  if (n !== undefined) {
    return n;
  }
  const parsed = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

function frameLabel(frame: DataFrame, index: number): string {
  return frame.refId || frame.name || `#${index + 1}`;
}

function columnList(frame: DataFrame): string {
  return frame.fields.map((f) => f.name).join(', ') || 'no fields';
}

const TABLE_MARKERS = [COLUMNS.roi, COLUMNS.volatility, COLUMNS.startPrice, COLUMNS.endPrice];

/** Which input layout a frame has, given the value column a series would carry (price or volatility). */
export function classifyFrame(frame: DataFrame, valueColumn: string): FrameShape | undefined {
  const hasCoin = !!findField(frame, COLUMNS.coinId);
  const time = findTimeField(frame);
  if (time && hasCoin && findField(frame, valueColumn)) {
    return 'long';
  }
  if (hasCoin && (!time || TABLE_MARKERS.some((c) => findField(frame, c)))) {
    return 'table';
  }
  if (time && frame.fields.some((f) => f !== time && f.type === FieldType.number)) {
    return 'wide';
  }
  return undefined;
}

/** Coin id of a wide-frame field: a coin label if there is one, else its display name. */
export function wideFieldCoin(field: Field, frame: DataFrame, valueColumn: string): string {
  const labels = field.labels ?? {};
  const labelValue = labels.coin_id ?? labels.coin ?? labels.metric;
  if (labelValue) {
    return labelValue;
  }
  const values = Object.values(labels);
  if (values.length === 1) {
    return values[0];
  }
  const display = field.config?.displayName ?? field.config?.displayNameFromDS;
  if (display) {
    return display;
  }
  // A single-series frame often names the field after the value ("price") and the frame after the coin.
  return field.name.toLowerCase() === valueColumn && frame.name ? frame.name : field.name;
}

function readSeriesFrame(frame: DataFrame, shape: FrameShape, valueColumn: string): Series[] {
  const timeField = findTimeField(frame)!;
  const times = timeField.values.map(toTime);
  const bySeries = new Map<string, Series>();

  if (shape === 'long') {
    const coinField = findField(frame, COLUMNS.coinId)!;
    const valueField = findField(frame, valueColumn)!;
    const extra = {
      symbol: findField(frame, COLUMNS.symbol),
      name: findField(frame, COLUMNS.name),
      marketCap: findField(frame, COLUMNS.marketCap),
      change24hPct: findField(frame, COLUMNS.change24hPct),
    };
    for (let i = 0; i < frame.length; i++) {
      const coinId = toText(coinField.values[i]);
      const t = times[i];
      if (!coinId || t === undefined) {
        continue;
      }
      let s = bySeries.get(coinId);
      if (!s) {
        s = { coinId, label: coinId, times: [], values: [], field: valueField };
        bySeries.set(coinId, s);
      }
      const v = toNumber(valueField.values[i]);
      if (v !== undefined) {
        s.times.push(t);
        s.values.push(v);
      }
      // Per-coin attributes: the latest non-empty value wins (rows are in time order after sorting below).
      s.symbol = toText(extra.symbol?.values[i]) ?? s.symbol;
      s.name = toText(extra.name?.values[i]) ?? s.name;
      s.marketCap = toNumber(extra.marketCap?.values[i]) ?? s.marketCap;
      s.change24hPct = toNumber(extra.change24hPct?.values[i]) ?? s.change24hPct;
      s.ref = { frame, rowIndex: i };
    }
  } else {
    for (const field of frame.fields) {
      if (field === timeField || field.type !== FieldType.number) {
        continue;
      }
      const coinId = wideFieldCoin(field, frame, valueColumn);
      const s: Series = { coinId, label: coinId, times: [], values: [], field };
      field.values.forEach((raw, i) => {
        const v = toNumber(raw);
        const t = times[i];
        if (v !== undefined && t !== undefined) {
          s.times.push(t);
          s.values.push(v);
        }
      });
      bySeries.set(`${coinId}\u0000${bySeries.size}`, s);
    }
  }
  return [...bySeries.values()];
}

function sortByTime(s: Series): Series {
  const order = s.times.map((_, i) => i).sort((a, b) => s.times[a] - s.times[b]);
  return { ...s, times: order.map((i) => s.times[i]), values: order.map((i) => s.values[i]) };
}

/** Merge series of the same coin (split across frames) and sort each by time. */
function mergeSeries(all: Series[]): Series[] {
  const merged = new Map<string, Series>();
  for (const s of all) {
    const prev = merged.get(s.coinId);
    if (!prev) {
      merged.set(s.coinId, { ...s, times: [...s.times], values: [...s.values] });
    } else {
      prev.times.push(...s.times);
      prev.values.push(...s.values);
      prev.symbol = s.symbol ?? prev.symbol;
      prev.name = s.name ?? prev.name;
      prev.marketCap = s.marketCap ?? prev.marketCap;
      prev.change24hPct = s.change24hPct ?? prev.change24hPct;
    }
  }
  return [...merged.values()].map(sortByTime);
}

function nonEmpty(frames: DataFrame[] | undefined): DataFrame[] {
  return (frames ?? []).filter((f) => f.length > 0 && f.fields.length > 0);
}

const NO_ROWS: Issue = { level: 'error', message: 'The query returned no rows.' };

/** Time series per coin, for the volatility mode (`valueColumn` = volatility or price). */
export function parseSeries(frames: DataFrame[] | undefined, valueColumn: string): SeriesSet {
  const issues: Issue[] = [];
  const shapes: FrameShape[] = [];
  const all: Series[] = [];
  const usable = nonEmpty(frames);
  if (!usable.length) {
    return { series: [], shapes, issues: [NO_ROWS] };
  }
  usable.forEach((frame, index) => {
    const shape = classifyFrame(frame, valueColumn);
    if (shape === 'long' || shape === 'wide') {
      shapes.push(shape);
      all.push(...readSeriesFrame(frame, shape, valueColumn));
    } else {
      issues.push({
        level: 'error',
        message:
          `Frame ${frameLabel(frame, index)}: expected \`time\` + \`coin_id\` + \`${valueColumn}\` (long) ` +
          `or \`time\` + one number column per coin (wide); found ${columnList(frame)}.`,
      });
    }
  });
  const series = mergeSeries(all).filter((s) => s.values.length > 0);
  if (!series.length && !issues.length) {
    issues.push({ level: 'error', message: `No \`${valueColumn}\` values in the query result.` });
  }
  return { series, shapes, issues };
}

function readTableFrame(frame: DataFrame, table: CoinTable): Coin[] {
  const coinField = findField(frame, COLUMNS.coinId)!;
  const symbol = findField(frame, COLUMNS.symbol);
  const name = findField(frame, COLUMNS.name);
  const figureFields = Object.fromEntries(
    (Object.keys(FIGURE_COLUMNS) as Figure[]).map((fig) => [fig, findField(frame, FIGURE_COLUMNS[fig])])
  ) as Partial<Record<Figure, Field>>;

  for (const [fig, field] of Object.entries(figureFields) as Array<[Figure, Field | undefined]>) {
    if (field) {
      table.fields[fig] = table.fields[fig] ?? field;
      table.provided.add(fig);
    }
  }
  if (figureFields.startPrice && figureFields.endPrice) {
    table.provided.add('roi');
  }

  const coins: Coin[] = [];
  for (let i = 0; i < frame.length; i++) {
    const coinId = toText(coinField.values[i]);
    if (!coinId) {
      continue;
    }
    const coin: Coin = {
      coinId,
      symbol: toText(symbol?.values[i]),
      name: toText(name?.values[i]),
      ref: { frame, rowIndex: i },
    };
    for (const fig of Object.keys(FIGURE_COLUMNS) as Figure[]) {
      const v = toNumber(figureFields[fig]?.values[i]);
      if (v !== undefined) {
        coin[fig] = v;
      }
    }
    coin.roi = coin.roi ?? simpleReturn(coin.startPrice, coin.endPrice);
    coins.push(coin);
  }
  return coins;
}

function coinFromSeries(s: Series): Coin {
  const first = s.values.find((v) => v > 0);
  const last = [...s.values].reverse().find((v) => v > 0);
  return {
    coinId: s.coinId,
    symbol: s.symbol,
    name: s.name,
    marketCap: s.marketCap,
    change24hPct: s.change24hPct,
    roi: seriesRoi(s.values),
    volatility: annualizedVolatility(s.times, s.values),
    startPrice: first,
    endPrice: last,
    ref: s.ref,
  };
}

/** Merge records of the same coin: later inputs fill in or replace figures. */
function mergeCoins(coins: Coin[]): Coin[] {
  const byId = new Map<string, Coin>();
  for (const c of coins) {
    const prev = byId.get(c.coinId);
    if (!prev) {
      byId.set(c.coinId, { ...c });
      continue;
    }
    for (const [k, v] of Object.entries(c)) {
      if (v !== undefined) {
        (prev as unknown as Record<string, unknown>)[k] = v;
      }
    }
  }
  return [...byId.values()];
}

/** One record per coin, for the risk/return map and the ROI calculator. */
export function parseCoinTable(frames: DataFrame[] | undefined): CoinTable {
  const table: CoinTable = { coins: [], fields: {}, provided: new Set(), shapes: [], issues: [] };
  const usable = nonEmpty(frames);
  if (!usable.length) {
    table.issues.push(NO_ROWS);
    return table;
  }
  const all: Coin[] = [];
  const series: Series[] = [];
  usable.forEach((frame, index) => {
    const shape = classifyFrame(frame, COLUMNS.price);
    if (shape === 'table') {
      table.shapes.push(shape);
      all.push(...readTableFrame(frame, table));
    } else if (shape === 'long' || shape === 'wide') {
      table.shapes.push(shape);
      series.push(...readSeriesFrame(frame, shape, COLUMNS.price));
      const priceField = shape === 'long' ? findField(frame, COLUMNS.price) : undefined;
      table.fields.startPrice = table.fields.startPrice ?? priceField;
      table.fields.endPrice = table.fields.endPrice ?? priceField;
      for (const fig of ['roi', 'volatility', 'startPrice', 'endPrice'] as Figure[]) {
        table.provided.add(fig);
      }
      if (shape === 'long' && findField(frame, COLUMNS.marketCap)) {
        table.provided.add('marketCap');
        table.fields.marketCap = table.fields.marketCap ?? findField(frame, COLUMNS.marketCap);
      }
      if (shape === 'long' && findField(frame, COLUMNS.change24hPct)) {
        table.provided.add('change24hPct');
        table.fields.change24hPct = table.fields.change24hPct ?? findField(frame, COLUMNS.change24hPct);
      }
    } else {
      table.issues.push({
        level: 'error',
        message:
          `Frame ${frameLabel(frame, index)}: expected \`coin_id\` with \`roi\`/\`volatility\` (one row per coin), ` +
          `\`time\` + \`coin_id\` + \`price\` (long) or \`time\` + one price column per coin (wide); found ${columnList(frame)}.`,
      });
    }
  });

  const merged = mergeSeries(series);
  const short = merged.filter((s) => s.values.length < 3).map((s) => `${s.coinId} (${s.values.length})`);
  if (short.length) {
    table.issues.push({
      level: 'warning',
      message: `Not enough prices for volatility (need 3, ROI needs 2): ${short.join(', ')}.`,
    });
  }
  table.coins = mergeCoins([...all, ...merged.map(coinFromSeries)]);
  return table;
}
