/**
 * Seed data for running the dashboards and alert rules: real market history shifted so that it ends now.
 *
 * - The 20 largest coins of the 2021 daily history (../shared/history/coingecko-daily-2021, MIT) from
 *   2021-01-01 to 2021-05-15, as backfilled rows (source 'range').
 * - Bitcoin's recorded 30 days of hourly and last day of 5-minute points, and its full /coins/markets
 *   snapshot of 2021-05-15 (../shared/coingecko, MIT), the newest row: its last_updated becomes "now".
 *   Other coins get one 'markets' row at their newest daily point with their market-cap rank of that day.
 * - global_snapshots: one per day aggregated from all 2,496 coins of the archive (total market cap and
 *   volume, dominance of the ten largest), plus the recorded /global body (2021-05-18) as the newest one.
 * - ingest_runs: synthetic bookkeeping of a collector on a 5-minute schedule over the last 24 hours (cycles,
 *   some partial with rejections, some failed; gap repairs every 3 hours; a backfill; a retention run).
 */
import type { Sql } from "../ingest/db/connect.ts";
import { refreshCandles } from "../ingest/db/candles.ts";
import type { StorageMode } from "../ingest/db/migrate.ts";
import { historyCoinIds, historyCoinList, loadHistory } from "../ingest/testing/history.ts";
import type { RangeRow } from "../ingest/collector/writer.ts";

const RECORDINGS = new URL("../../shared/coingecko/", import.meta.url);
const LAST_DAY = Date.UTC(2021, 4, 15); // 2021-05-15, the day of the bitcoin recordings
const COIN_COUNT = 20;

interface Snapshot extends RangeRow {
  source: "markets" | "range";
  market_cap_rank?: number | null;
}

interface Chart {
  prices: [number, number][];
  market_caps: [number, number][];
  total_volumes: [number, number][];
}

async function recording<T>(name: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(new URL(name, RECORDINGS))) as T;
}

export interface Seeded {
  /** Milliseconds added to every recorded time. */
  shift: number;
  coins: string[];
  /** The newest snapshot time (≈ now at seeding). */
  newest: Date;
}

/** Daily totals of the whole archive: total market cap and volume, and the ten largest coins' shares. */
function globalDays(
  symbols: Map<string, string>,
): Map<number, { cap: number; volume: number; top: [string, number][] }> {
  const days = new Map<number, { cap: number; volume: number; caps: [string, number][] }>();
  for (const id of historyCoinIds()) {
    for (const point of loadHistory(id)) {
      if (point.time > LAST_DAY || point.marketCap === null || point.marketCap <= 0) continue;
      const day = days.get(point.time) ?? { cap: 0, volume: 0, caps: [] };
      day.cap += point.marketCap;
      day.volume += point.totalVolume ?? 0;
      day.caps.push([symbols.get(id) ?? id, point.marketCap]);
      days.set(point.time, day);
    }
  }
  const result = new Map<number, { cap: number; volume: number; top: [string, number][] }>();
  for (const [time, day] of days) {
    const top = day.caps.sort((a, b) => b[1] - a[1]).slice(0, 10).map(([s, c]) =>
      [s, 100 * c / day.cap] as [string, number]
    );
    result.set(time, { cap: day.cap, volume: day.volume, top });
  }
  return result;
}

export async function seed(sql: Sql, mode: StorageMode, now = Date.now()): Promise<Seeded> {
  const [markets] = await recording<Record<string, unknown>[]>(
    "coins_markets_ids-bitcoin_vs-usd_2021-05-15.json",
  );
  if (!markets) throw new Error("bitcoin markets recording is empty");
  const anchor = Date.parse(String(markets.last_updated));
  const shift = now - anchor;
  const at = (t: number) => new Date(t + shift);

  const list = historyCoinList();
  const symbols = new Map(list.map((c) => [c.id, c.symbol]));
  const coins = list.filter((c) => loadHistory(c.id).some((p) => p.time === LAST_DAY)).slice(0, COIN_COUNT);
  await sql`INSERT INTO coins ${sql(coins.map((c) => ({ id: c.id, symbol: c.symbol, name: c.name })))}`;

  const rows: Snapshot[] = [];
  const newestDaily = new Map<string, Snapshot>();
  for (const coin of coins) {
    for (const p of loadHistory(coin.id)) {
      if (p.time > LAST_DAY) continue;
      const row: Snapshot = {
        time: at(p.time),
        coin_id: coin.id,
        vs_currency: "usd",
        price: p.price,
        market_cap: p.marketCap,
        total_volume: p.totalVolume,
        source: "range",
      };
      rows.push(row);
      if (p.time === LAST_DAY) newestDaily.set(coin.id, row);
    }
  }
  // The newest daily point of the other coins, as the collector's live snapshot with the day's rank.
  const ranked = [...newestDaily.values()].sort((a, b) => (b.market_cap ?? 0) - (a.market_cap ?? 0));
  ranked.forEach((row, i) => {
    row.market_cap_rank = i + 1;
    if (row.coin_id !== "bitcoin") row.source = "markets";
  });
  for (
    const [file, source] of [
      ["coins_bitcoin_market_chart_vs-usd_days-30_hourly_2021-05-15.json", "range"],
      ["coins_bitcoin_market_chart_vs-usd_days-1_5min_2021-05-15.json", "markets"],
    ] as const
  ) {
    const chart = await recording<Chart>(file);
    chart.prices.forEach(([time, price], i) => {
      if (time >= anchor) return;
      rows.push({
        time: at(time),
        coin_id: "bitcoin",
        vs_currency: "usd",
        price,
        market_cap: chart.market_caps[i]?.[1] ?? null,
        total_volume: chart.total_volumes[i]?.[1] ?? null,
        source,
      });
    });
  }
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000).map((r) => ({ market_cap_rank: null, ...r }));
    await sql`INSERT INTO market_snapshots ${
      sql(
        chunk,
        "time",
        "coin_id",
        "vs_currency",
        "price",
        "market_cap",
        "total_volume",
        "source",
        "market_cap_rank",
      )
    } ON CONFLICT DO NOTHING`;
  }
  const num = (key: string) => (typeof markets[key] === "number" ? markets[key] as number : null);
  const date = (key: string) => (typeof markets[key] === "string" ? new Date(markets[key] as string) : null);
  await sql`INSERT INTO market_snapshots ${
    sql({
      time: new Date(now),
      coin_id: "bitcoin",
      vs_currency: "usd",
      price: num("current_price")!,
      market_cap: num("market_cap"),
      fully_diluted_valuation: num("fully_diluted_valuation"),
      total_volume: num("total_volume"),
      circulating_supply: num("circulating_supply"),
      total_supply: num("total_supply"),
      max_supply: num("max_supply"),
      market_cap_rank: num("market_cap_rank"),
      high_24h: num("high_24h"),
      low_24h: num("low_24h"),
      price_change_pct_24h: num("price_change_percentage_24h"),
      ath: num("ath"),
      ath_change_pct: num("ath_change_percentage"),
      ath_date: date("ath_date"),
      atl: num("atl"),
      atl_change_pct: num("atl_change_percentage"),
      atl_date: date("atl_date"),
      source: "markets",
    })
  }`;
  const times = rows.map((r) => r.time.getTime());
  await refreshCandles(sql, mode, new Date(Math.min(...times)), new Date(now));

  // Global snapshots.
  const globals = [...globalDays(symbols)].map(([time, day]) => ({
    time: at(time),
    active_cryptocurrencies: null as number | null,
    markets: null as number | null,
    total_market_cap: { usd: day.cap },
    total_volume: { usd: day.volume },
    market_cap_percentage: Object.fromEntries(day.top),
  }));
  const recorded = (await recording<{ data: Record<string, unknown> }>("global_2021-05-18.json")).data;
  globals.push({
    time: new Date(now),
    active_cryptocurrencies: recorded.active_cryptocurrencies as number,
    markets: recorded.markets as number,
    total_market_cap: recorded.total_market_cap as { usd: number },
    total_volume: recorded.total_volume as { usd: number },
    market_cap_percentage: recorded.market_cap_percentage as Record<string, number>,
  });
  for (const g of globals) {
    await sql`INSERT INTO global_snapshots (time, active_cryptocurrencies, markets, total_market_cap, total_volume,
      market_cap_percentage)
      VALUES (${g.time}, ${g.active_cryptocurrencies}, ${g.markets}, ${sql.json(g.total_market_cap)},
        ${sql.json(g.total_volume)}, ${sql.json(g.market_cap_percentage)})`;
  }

  await seedIngestRuns(sql, now, coins.map((c) => c.id));
  return { shift, coins: coins.map((c) => c.id), newest: new Date(now) };
}

/** A collector on a 5-minute schedule over the last 24 hours, newest cycle successful. */
async function seedIngestRuns(sql: Sql, now: number, coins: string[]): Promise<void> {
  const minute = 60_000;
  const runs: Record<string, unknown>[] = [];
  for (let i = 1; i <= 288; i++) {
    const started = new Date(now - i * 5 * minute + 2_000);
    const failed = i % 37 === 0;
    const partial = !failed && i % 11 === 0;
    runs.push({
      kind: "cycle",
      started_at: started,
      finished_at: new Date(started.getTime() + 1_500 + (i % 7) * 400),
      status: failed ? "failed" : partial ? "partial" : "ok",
      api_calls: failed ? { "429": 1, timeout: 2 } : partial ? { "200": 1, "429": 1 } : { "200": 1 },
      rows_written: failed ? 0 : partial ? coins.length - 1 : coins.length,
      rows_rejected: partial ? 1 : 0,
      rejections: partial
        ? [{ coin_id: coins[i % coins.length], reason: "price is not a positive number" }]
        : [],
      error: failed ? "CoinGecko /coins/markets: timeout after 3 attempts" : null,
      details: {},
    });
  }
  for (let hours = 1; hours <= 24; hours += 3) {
    const started = new Date(now - hours * 60 * minute);
    runs.push({
      kind: "gap_repair",
      started_at: started,
      finished_at: new Date(started.getTime() + 4_000),
      status: "ok",
      api_calls: { "200": 2 },
      rows_written: 24,
      rows_rejected: 0,
      rejections: [],
      error: null,
      details: { gaps_found: 2, gaps_repaired: hours % 2 === 0 ? 1 : 2, rows: 24, coins: coins.slice(0, 2) },
    });
  }
  runs.push({
    kind: "backfill",
    started_at: new Date(now - 25 * 60 * minute),
    finished_at: new Date(now - 24 * 60 * minute),
    status: "ok",
    api_calls: { "200": coins.length, "429": 2 },
    rows_written: 14_400,
    rows_rejected: 0,
    rejections: [],
    error: null,
    details: { days: 30, coins: coins.length },
  }, {
    kind: "retention",
    started_at: new Date(now - 12 * 60 * minute),
    finished_at: new Date(now - 12 * 60 * minute + 800),
    status: "ok",
    api_calls: {},
    rows_written: 0,
    rows_rejected: 0,
    rejections: [],
    error: null,
    details: { deleted: 0 },
  });
  for (const run of runs) {
    await sql`INSERT INTO ingest_runs (kind, started_at, finished_at, status, api_calls, rows_written, rows_rejected,
      rejections, error, details)
      VALUES (${run.kind as string}, ${run.started_at as Date}, ${run.finished_at as Date}, ${run
      .status as string},
        ${sql.json(run.api_calls as Record<string, number>)}, ${run.rows_written as number},
        ${run.rows_rejected as number}, ${sql.json(run.rejections as never)}, ${run.error as string | null},
        ${sql.json(run.details as never)})`;
  }
}
