/**
 * Test data for the analytics: real market data (the 2021 daily history and a recorded /coins/markets
 * response with its 7-day sparklines), shifted in time to end now, plus edge-case coins cut from real
 * series. Loaded into a test database exactly as the collector writes (rows, then refreshCandles).
 */
import type { Sql } from "../../ingest/db/connect.ts";
import { refreshCandles } from "../../ingest/db/candles.ts";
import type { StorageMode } from "../../ingest/db/migrate.ts";
import { historyCoinList, loadHistory } from "../../ingest/testing/history.ts";
import { type Coin, DAY, type GlobalSnapshot, HOUR, type Snapshot } from "./reference.ts";

const RECORDINGS = new URL("../../../shared/coingecko/", import.meta.url);

export interface Dataset {
  coins: Coin[];
  rows: Snapshot[];
  globals: GlobalSnapshot[];
  /** First and last observation time. */
  start: number;
  end: number;
}

/** UTC midnight of the current day. */
export function today(): number {
  return Math.floor(Date.now() / DAY) * DAY;
}

/** A coin's 2021 daily history in usd, shifted so that 2021-12-31 becomes yesterday. */
export function historySeries(coinId: string): Snapshot[] {
  const shift = today() - DAY - Date.UTC(2021, 11, 31);
  return loadHistory(coinId).map((p) => ({
    time: p.time + shift,
    coinId,
    vs: "usd",
    price: p.price,
    marketCap: p.marketCap,
    totalVolume: p.totalVolume,
  }));
}

/**
 * The 2021 daily history of the `count` largest coins (stablecoins among them), shifted so that
 * 2021-12-31 becomes yesterday, in usd, plus bitcoin and ethereum in eur (usd x 0.9: a second currency
 * with real dynamics), plus edge cases cut from real series:
 * - edge-single: one observation; edge-new: listed 20 days before the end; edge-stopped: stops 100 days
 *   before the end; edge-gaps: every 7th day missing and a 20-day hole; edge-zero: zero volume and market
 *   cap throughout and a zero price on one day.
 * Global snapshots: one a day, derived from the loaded coins, plus one with an empty dominance map.
 */
export function historyDataset(count = 40): Dataset {
  const coins: Coin[] = historyCoinList().slice(0, count).map((c) => ({ ...c, imageUrl: null }));
  const rows: Snapshot[] = [];
  const series = new Map<string, Snapshot[]>();
  for (const coin of coins) {
    const points = historySeries(coin.id);
    series.set(coin.id, points);
    rows.push(...points);
  }
  for (const id of ["bitcoin", "ethereum"]) {
    rows.push(...series.get(id)!.map((r) => ({
      ...r,
      vs: "eur",
      price: r.price * 0.9,
      marketCap: r.marketCap === null ? null : r.marketCap * 0.9,
    })));
  }
  const end = Math.max(...rows.map((r) => r.time));
  const edge = (
    id: string,
    name: string,
    from: string,
    pick: (r: Snapshot, i: number) => Snapshot | null,
  ) => {
    coins.push({ id, symbol: id.slice(5, 9), name, imageUrl: null });
    series.get(from)!.forEach((r, i) => {
      const row = pick({ ...r, coinId: id }, i);
      if (row) rows.push(row);
    });
  };
  const last = series.get("cardano")!.length - 1;
  edge("edge-single", "Edge: one observation", "cardano", (r, i) => i === last ? r : null);
  edge("edge-new", "Edge: newly listed", "solana", (r) => r.time > end - 20 * DAY ? r : null);
  edge("edge-stopped", "Edge: stopped trading", "polkadot", (r) => r.time < end - 100 * DAY ? r : null);
  edge(
    "edge-gaps",
    "Edge: gaps",
    "ethereum",
    (r, i) => i % 7 === 3 || (r.time > end - 60 * DAY && r.time < end - 40 * DAY) ? null : r,
  );
  edge("edge-zero", "Edge: zeros", "dogecoin", (r, i) => ({
    ...r,
    price: i === 180 ? 0 : r.price,
    marketCap: 0,
    totalVolume: 0,
  }));

  // One global snapshot a day, derived from the usd market caps of the day.
  const globals: GlobalSnapshot[] = [];
  const byDay = new Map<number, Snapshot[]>();
  for (const r of rows) {
    if (r.vs !== "usd" || r.coinId.startsWith("edge-") || !r.marketCap) continue;
    const day = Math.floor(r.time / DAY) * DAY;
    byDay.set(day, [...byDay.get(day) ?? [], r]);
  }
  const symbols = new Map(coins.map((c) => [c.id, c.symbol]));
  for (const [day, list] of [...byDay].sort((a, b) => a[0] - b[0])) {
    const total = list.reduce((a, r) => a + r.marketCap!, 0);
    const volume = list.reduce((a, r) => a + (r.totalVolume ?? 0), 0);
    const top = [...list].sort((a, b) => b.marketCap! - a.marketCap!).slice(0, 8);
    globals.push({
      time: day + 12 * HOUR,
      activeCryptocurrencies: list.length,
      markets: 600 + list.length,
      marketCapChangePct24hUsd: null,
      totalMarketCap: {
        usd: total,
        eur: total * 0.9,
        btc: total / list.find((r) => r.coinId === "bitcoin")!.price,
      },
      totalVolume: { usd: volume, eur: volume * 0.9 },
      marketCapPercentage: Object.fromEntries(
        top.map((r) => [symbols.get(r.coinId)!, 100 * r.marketCap! / total]),
      ),
    });
  }
  for (let i = 1; i < globals.length; i++) {
    const previous = globals[i - 1]!.totalMarketCap.usd as number;
    globals[i]!.marketCapChangePct24hUsd = 100 * ((globals[i]!.totalMarketCap.usd as number) / previous - 1);
  }
  globals.push({
    time: end - 3 * HOUR,
    activeCryptocurrencies: null,
    markets: null,
    marketCapChangePct24hUsd: null,
    totalMarketCap: {},
    totalVolume: {},
    marketCapPercentage: {},
  });
  const start = Math.min(...rows.map((r) => r.time));
  return { coins, rows, globals, start, end };
}

interface MarketsItem {
  id: string;
  symbol: string;
  name: string;
  image: string | null;
  current_price: number | null;
  market_cap: number | null;
  market_cap_rank: number | null;
  total_volume: number | null;
  high_24h: number | null;
  low_24h: number | null;
  circulating_supply: number | null;
  total_supply: number | null;
  max_supply: number | null;
  ath: number | null;
  ath_date: string | null;
  last_updated: string | null;
  price_change_percentage_1h_in_currency?: number | null;
  price_change_percentage_24h_in_currency?: number | null;
  price_change_percentage_7d_in_currency?: number | null;
  sparkline_in_7d?: { price: (number | null)[] };
}

/**
 * A recorded /coins/markets page (250 coins, 2023-09-07) with 7-day hourly sparklines, moved to end 10
 * minutes ago: each coin's sparkline becomes hourly rows (source 'range', ending one hour before the
 * snapshot) and the market row itself the latest snapshot with CoinGecko's fields.
 */
export async function liveDataset(): Promise<Dataset> {
  const items = JSON.parse(
    await Deno.readTextFile(
      new URL(
        "coins_markets_vs-usd_order-market_cap_desc_per_page-250_sparkline-true_pcp-1h_24h_7d_2023-09-07.json",
        RECORDINGS,
      ),
    ),
  ) as MarketsItem[];
  const newest = Math.max(...items.map((i) => Date.parse(i.last_updated ?? "")).filter(Number.isFinite));
  const shift = Date.now() - 10 * 60_000 - newest;
  const coins: Coin[] = [];
  const rows: Snapshot[] = [];
  for (const item of items) {
    if (item.current_price === null || !item.last_updated) continue;
    coins.push({ id: item.id, symbol: item.symbol, name: item.name, imageUrl: item.image });
    const time = Date.parse(item.last_updated) + shift;
    const sparkline = item.sparkline_in_7d?.price ?? [];
    sparkline.forEach((price, i) => {
      if (price === null || price < 0) return;
      rows.push({
        time: time - (sparkline.length - i) * HOUR,
        coinId: item.id,
        vs: "usd",
        price,
        marketCap: null,
        totalVolume: null,
      });
    });
    rows.push({
      time,
      coinId: item.id,
      vs: "usd",
      price: item.current_price,
      marketCap: item.market_cap,
      totalVolume: item.total_volume,
      marketCapRank: item.market_cap_rank,
      circulatingSupply: item.circulating_supply,
      totalSupply: item.total_supply,
      maxSupply: item.max_supply,
      high24h: item.high_24h,
      low24h: item.low_24h,
      ath: item.ath,
      athDate: item.ath_date ? Date.parse(item.ath_date) : null,
      cgChange1h: item.price_change_percentage_1h_in_currency ?? null,
      cgChange24h: item.price_change_percentage_24h_in_currency ?? null,
      cgChange7d: item.price_change_percentage_7d_in_currency ?? null,
    });
  }
  const times = rows.map((r) => r.time);
  return { coins, rows, globals: [], start: Math.min(...times), end: Math.max(...times) };
}

/** Insert raw rows as the collector writes them ('markets' rows carry CoinGecko's rank, backfilled ones do not). */
export async function insertSnapshots(sql: Sql, snapshots: Snapshot[]): Promise<void> {
  const rows = snapshots.map((r) => ({
    time: new Date(r.time),
    coin_id: r.coinId,
    vs_currency: r.vs,
    price: r.price,
    market_cap: r.marketCap,
    total_volume: r.totalVolume,
    market_cap_rank: r.marketCapRank ?? null,
    circulating_supply: r.circulatingSupply ?? null,
    total_supply: r.totalSupply ?? null,
    max_supply: r.maxSupply ?? null,
    high_24h: r.high24h ?? null,
    low_24h: r.low24h ?? null,
    ath: r.ath ?? null,
    ath_date: r.athDate == null ? null : new Date(r.athDate),
    price_change_pct_1h: r.cgChange1h ?? null,
    price_change_pct_24h: r.cgChange24h ?? null,
    price_change_pct_7d: r.cgChange7d ?? null,
    price_change_pct_30d: r.cgChange30d ?? null,
    price_change_pct_1y: r.cgChange1y ?? null,
    source: r.marketCapRank === undefined ? "range" : "markets",
  }));
  for (let i = 0; i < rows.length; i += 1000) {
    await sql`INSERT INTO market_snapshots ${sql(rows.slice(i, i + 1000))}`;
  }
}

/**
 * Insert a dataset and refresh its candles, as the collector does. `materializeUntil` (TimescaleDB): refresh the
 * continuous aggregates only up to that instant, leaving the rest to their real-time part.
 */
export async function loadDataset(
  sql: Sql,
  mode: StorageMode,
  data: Dataset,
  options: { materializeUntil?: number } = {},
): Promise<void> {
  await sql`INSERT INTO coins ${
    sql(data.coins.map((c) => ({ id: c.id, symbol: c.symbol, name: c.name, image_url: c.imageUrl })))
  }`;
  await insertSnapshots(sql, data.rows);
  if (data.globals.length) {
    await sql`INSERT INTO global_snapshots ${
      sql(data.globals.map((g) => ({
        time: new Date(g.time),
        active_cryptocurrencies: g.activeCryptocurrencies,
        markets: g.markets,
        market_cap_change_pct_24h_usd: g.marketCapChangePct24hUsd,
        total_market_cap: sql.json(g.totalMarketCap as never),
        total_volume: sql.json(g.totalVolume as never),
        market_cap_percentage: sql.json(g.marketCapPercentage as never),
      })))
    }`;
  }
  await refreshCandles(sql, mode, new Date(data.start), new Date(options.materializeUntil ?? data.end));
}
