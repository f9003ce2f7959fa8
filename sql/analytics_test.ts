/**
 * The analytics surface (sql/analytics/*.sql) against an independent TypeScript computation from the same raw
 * rows (sql/testing/reference.ts), on real market data: every measure, relative difference <= 1e-9, in
 * every storage mode available, and both modes must give the same answers.
 */
import assert from "node:assert/strict";
import type { Sql } from "../ingest/db/connect.ts";
import { refreshCandles } from "../ingest/db/candles.ts";
import type { StorageMode } from "../ingest/db/migrate.ts";
import { COLLECTOR_ROLE, storageModes, withTestDatabase } from "../ingest/testing/db.ts";
import {
  type Dataset,
  historyDataset,
  historySeries,
  insertSnapshots,
  liveDataset,
  loadDataset,
} from "./testing/datasets.ts";
import {
  DAY,
  dominanceHistory,
  globalMarketHistory,
  globalsBetween,
  HOUR,
  Market,
  type Snapshot,
} from "./testing/reference.ts";

const modes = await storageModes();

type Row = Record<string, unknown>;

interface Check {
  label: string;
  query: string;
  expected: (market: Market, data: Dataset) => Row[];
  /** Columns identifying a row, to pair actual and expected rows. */
  key: string[];
  /** Columns allowed to be NULL in every expected row (otherwise a column of NULLs fails: it tests nothing). */
  allNull?: string[];
}

const iso = (ms: number) => `'${new Date(ms).toISOString()}'::timestamptz`;

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(normalize);
  return value;
}

function close(actual: unknown, expected: unknown): boolean {
  if (typeof actual === "number" && typeof expected === "number") {
    if (!Number.isFinite(expected)) return Object.is(actual, expected);
    return Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(actual), Math.abs(expected)) + 1e-12;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.length === expected.length && actual.every((a, i) => close(a, expected[i]));
  }
  return actual === expected;
}

/** Pair rows by key and compare every expected column; reports the first difference precisely. */
export function assertRowsMatch(label: string, actualRows: Row[], expectedRows: Row[], check: Check): void {
  const keyOf = (row: Row) => check.key.map((k) => String(normalize(row[k]))).join("|");
  const actual = new Map(actualRows.map((r) => [keyOf(r), r]));
  assert.equal(actual.size, actualRows.length, `${label}: duplicate keys in the result`);
  const missing = expectedRows.filter((r) => !actual.has(keyOf(r))).map(keyOf);
  const expectedKeys = new Set(expectedRows.map(keyOf));
  const extra = [...actual.keys()].filter((k) => !expectedKeys.has(k));
  assert.deepEqual(
    { missing: missing.slice(0, 5), extra: extra.slice(0, 5) },
    { missing: [], extra: [] },
    label,
  );
  assert.equal(actualRows.length, expectedRows.length, `${label}: row count`);
  for (const want of expectedRows) {
    const got = actual.get(keyOf(want))!;
    for (const [column, value] of Object.entries(want)) {
      const a = normalize(got[column]), e = normalize(value);
      assert.ok(
        close(a, e),
        `${label} [${keyOf(want)}] ${column}: got ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`,
      );
    }
  }
  for (const column of Object.keys(expectedRows[0] ?? {})) {
    if (check.allNull?.includes(column)) continue;
    assert.ok(
      expectedRows.some((r) => r[column] !== null),
      `${label}: column ${column} is NULL in every row`,
    );
  }
}

async function run(sql: Sql, check: Check): Promise<Row[]> {
  return (await sql.unsafe(check.query)) as unknown as Row[];
}

/** Ranges of the history dataset: last 30 days, last year, an unaligned one, one wider than the data. */
function historyChecks(data: Dataset): Check[] {
  const end = data.end;
  const ranges: [string, number, number][] = [
    ["30d", end - 30 * DAY, end],
    ["1y", data.start + 12 * HOUR, end], // the whole history: 364 days
    ["unaligned", data.start + 100.5 * DAY + 7 * HOUR, data.start + 200.25 * DAY],
    ["wider than the history", data.start - 700 * DAY, end + 10 * DAY],
    ["before any data", data.start - 100 * DAY, data.start - 50 * DAY],
  ];
  const checks: Check[] = [
    {
      label: "latest_market",
      query: "SELECT * FROM latest_market",
      expected: (m) => m.latestMarket(),
      key: ["coin_id", "vs_currency"],
      allNull: ["image_url", "market_cap_rank", "circulating_supply", "total_supply", "max_supply"],
    },
    {
      label: "price_changes",
      query: "SELECT * FROM price_changes",
      expected: (m) => m.priceChanges(),
      key: ["coin_id", "vs_currency"],
      // Daily data has no 1-hour change; the history spans 364 days, one short of a 1-year change.
      allNull: [
        "change_1h_pct",
        "change_1y_pct",
        "cg_change_1h_pct",
        "cg_change_24h_pct",
        "cg_change_7d_pct",
        "cg_change_30d_pct",
        "cg_change_1y_pct",
      ],
    },
    {
      label: "price_tiers",
      query: "SELECT * FROM price_tiers",
      expected: (m) => m.priceTiers(),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "market_cap_ranking",
      query: "SELECT * FROM market_cap_ranking",
      expected: (m) => m.marketCapRanking(),
      key: ["coin_id", "vs_currency"],
      allNull: ["cg_rank"], // backfilled history: CoinGecko's rank is unknown, ours is not
    },
    {
      label: "volatility",
      query: "SELECT * FROM volatility",
      expected: (m) => m.volatility(),
      key: ["coin_id", "vs_currency"],
      allNull: ["vol_intraday_24h", "vol_intraday_7d"],
    },
    {
      label: "stablecoin_candidates",
      query: "SELECT * FROM stablecoin_candidates",
      expected: (m) => m.stablecoinCandidates(),
      key: ["coin_id"],
    },
    {
      label: "daily_trend",
      query: "SELECT * FROM daily_trend",
      expected: (m) => m.dailyTrend(),
      key: ["coin_id", "vs_currency", "bucket"],
    },
    {
      label: "dominance_history",
      query: "SELECT * FROM dominance_history",
      expected: (_m, d) => dominanceHistory(d.globals),
      key: ["time", "symbol"],
    },
    {
      label: "global_market_history",
      query: "SELECT * FROM global_market_history",
      expected: (m, d) => globalMarketHistory(d.globals, m),
      key: ["time", "vs_currency"],
    },
    {
      label: "altcoin_season_index",
      query: `SELECT * FROM altcoin_season_index('usd', ${iso(end)})`,
      expected: (m) => m.altcoinSeasonIndex("usd", end),
      key: [],
    },
    {
      label: "altcoin_season_index (mid-year)",
      query: `SELECT * FROM altcoin_season_index('usd', ${iso(data.start + 200 * DAY + 5 * HOUR)})`,
      expected: (m) => m.altcoinSeasonIndex("usd", data.start + 200 * DAY + 5 * HOUR),
      key: [],
    },
  ];
  // The per-coin functions the dashboards call for a few coins: the same rows as their views, filtered.
  const subset = [
    "bitcoin",
    "edge-single",
    "edge-new",
    "edge-stopped",
    "edge-gaps",
    "edge-zero",
    "no-such-coin",
  ];
  const subsetSql = `ARRAY[${subset.map((c) => `'${c}'`).join(", ")}]`;
  const pick = (rows: Row[], columns: string[]) =>
    rows.filter((r) => r.vs_currency === "usd" && subset.includes(String(r.coin_id)))
      .map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
  checks.push(
    {
      label: "latest_snapshots of some coins",
      query: `SELECT * FROM latest_snapshots('usd', ${subsetSql})`,
      expected: (m) =>
        pick(m.latestMarket(), ["coin_id", "vs_currency", "time", "price", "market_cap", "total_volume"]),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "latest_price_changes of some coins",
      query: `SELECT * FROM latest_price_changes('usd', ${subsetSql})`,
      expected: (m) =>
        pick(m.priceChanges(), ["coin_id", "vs_currency", "price", "change_24h_pct", "change_7d_pct"]),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "latest_price_changes of some coins up to 30 days",
      query: `SELECT * FROM latest_price_changes('usd', ${subsetSql}, '720 hours')`,
      // The longer horizons are not looked up.
      expected: (m) =>
        pick(m.priceChanges(), ["coin_id", "vs_currency", "change_24h_pct", "change_30d_pct"])
          .map((r) => ({ ...r, change_90d_pct: null, change_1y_pct: null })),
      key: ["coin_id", "vs_currency"],
      allNull: ["change_90d_pct", "change_1y_pct"],
    },
    {
      label: "latest_volatility of some coins",
      query: `SELECT * FROM latest_volatility('usd', ${subsetSql})`,
      expected: (m) => pick(m.volatility(), ["coin_id", "vs_currency", "vol_7d", "vol_30d", "vol_90d"]),
      key: ["coin_id", "vs_currency"],
    },
    ...subset.map((coin) => ({
      // One coin reads its daily closes directly rather than the statistics of weekly pieces.
      label: `latest_volatility of ${coin}`,
      query: `SELECT * FROM latest_volatility('usd', ARRAY['${coin}'])`,
      expected: (m: Market) =>
        pick(m.volatility(), ["coin_id", "vs_currency", "vol_7d", "vol_30d", "vol_90d"])
          .filter((r) => r.coin_id === coin),
      key: ["coin_id", "vs_currency"],
      allNull: ["vol_7d", "vol_30d", "vol_90d"], // some of these coins have too few returns for a window
    })),
  );
  // The building blocks, called directly: prices at instants (the hour, day and week levels of price_lookup, and
  // before or between observations) and reference prices of changes (raw rows up to 48 hours, hourly candles
  // beyond), per coin and for all coins.
  const instants: [string, number][] = [
    ["at the end", end],
    ["mid-hour", data.start + 200 * DAY + 30 * 60_000],
    ["unaligned", data.start + 100.5 * DAY + 7 * HOUR],
    ["in the gap", end - 50 * DAY],
    ["before the history", data.start - 5 * DAY],
  ];
  for (const [label, at] of instants) {
    for (const coin of ["bitcoin", "edge-single", "edge-new", "edge-stopped", "edge-gaps", "no-such-coin"]) {
      checks.push({
        label: `price_at ${coin} ${label}`,
        query: `SELECT * FROM price_at('${coin}', 'usd', ${iso(at)})`,
        expected: (m) => {
          const p = m.priceAt(coin, "usd", at);
          return p ? [{ time: p.time, price: p.price, market_cap: p.marketCap }] : [];
        },
        key: [],
      });
    }
    checks.push({
      label: `prices_at all coins ${label}`,
      query: `SELECT * FROM prices_at('usd', ${iso(at)})`,
      expected: (m) =>
        [...m.coins.keys()].flatMap((coin) => {
          const p = m.priceAt(coin, "usd", at);
          return p ? [{ coin_id: coin, time: p.time, price: p.price, market_cap: p.marketCap }] : [];
        }),
      key: ["coin_id"],
    });
    for (const coin of ["bitcoin", "edge-gaps", "edge-new"]) {
      for (const hours of [1, 24, 48, 7 * 24, 30 * 24, 90 * 24, 365 * 24]) {
        checks.push({
          label: `price_before ${coin} ${hours}h ${label}`,
          query: `SELECT price FROM price_before('${coin}', 'usd', ${iso(at)}, '${hours} hours')`,
          expected: (m) => {
            const price = m.priceBefore(coin, "usd", at, hours * HOUR);
            return price === null ? [] : [{ price }];
          },
          key: [],
        });
      }
    }
  }
  checks.push({
    label: "returns_start in a currency without data",
    query: `SELECT returns_start('jpy', ${iso(end)}) AS start`,
    expected: () => [{ start: end }],
    key: [],
  });
  for (const window of [24 * HOUR, 7 * DAY, 30 * DAY, 300 * DAY]) {
    const interval = `'${window / HOUR} hours'::interval`;
    checks.push(
      {
        label: `top_movers ${window / HOUR}h`,
        query: `SELECT * FROM top_movers('usd', ${interval}, 5)`,
        expected: (m) => m.topMovers("usd", window, 5),
        key: ["direction", "rank"],
      },
      {
        label: `market_sentiment ${window / HOUR}h`,
        query: `SELECT * FROM market_sentiment('usd', ${interval})`,
        expected: (m) => m.marketSentiment("usd", window),
        key: [],
      },
    );
  }
  for (const [name, from, to] of ranges) {
    const args = `${iso(from)}, ${iso(to)}`;
    for (const step of [7 * HOUR, 3 * DAY]) {
      const stepSql = `'${step / HOUR} hours'::interval`;
      checks.push(
        {
          label: `dominance_between ${name} every ${step / HOUR}h`,
          query: `SELECT * FROM dominance_between(${args}, ${stepSql})`,
          expected: (_m, d) => dominanceHistory(globalsBetween(d.globals, from, to, step)),
          key: ["time", "symbol"],
        },
        {
          label: `global_market_between ${name} every ${step / HOUR}h`,
          query: `SELECT * FROM global_market_between('eur', ${args}, ${stepSql})`,
          expected: (m, d) =>
            globalMarketHistory(globalsBetween(d.globals, from, to, step), m).filter((r) =>
              r.vs_currency === "eur"
            ),
          key: ["time"],
        },
      );
    }
    const windowStarts = [from, from + 7.3 * DAY, from + 45 * DAY].filter((t) => t <= to);
    // No price at or before `from` for any coin: every start is unknown.
    const noStart = name === "before any data" || name === "wider than the history";
    const allColumns = (cols: string[]) => (noStart ? cols : []);
    // The reference rows of some coins only (the functions' optional coin lists).
    const ofCoins = (coins: string[]) => (rows: Row[]) =>
      rows.filter((r) => coins.includes(String(r.coin_id)));
    checks.push(
      {
        label: `returns_start ${name}`,
        query: `SELECT returns_start('usd', ${iso(from)}) AS start`,
        expected: (m) => [{ start: m.returnsStart("usd", from) }],
        key: [],
      },
      {
        label: `volatility_between ${name}`,
        query: `SELECT * FROM volatility_between('usd', ${args})`,
        expected: (m) => m.volatilityBetween("usd", from, to),
        key: ["coin_id"],
      },
      {
        label: `rolling_volatility ${name}`,
        query:
          `SELECT * FROM rolling_volatility('usd', ARRAY['bitcoin', 'edge-gaps', 'edge-new', 'edge-zero'], 30, ${args})`,
        expected: (m) =>
          m.rollingVolatility("usd", ["bitcoin", "edge-gaps", "edge-new", "edge-zero"], 30, from, to),
        key: ["coin_id", "time"],
      },
      {
        label: `rolling_volatility one coin ${name}`,
        query: `SELECT * FROM rolling_volatility('usd', ARRAY['edge-gaps'], 30, ${args})`,
        expected: (m) => m.rollingVolatility("usd", ["edge-gaps"], 30, from, to),
        key: ["coin_id", "time"],
      },
      {
        label: `rolling_volatility all coins, 7 days, ${name}`,
        query: `SELECT * FROM rolling_volatility('eur', NULL, 7, ${args})`,
        expected: (m) => m.rollingVolatility("eur", null, 7, from, to),
        key: ["coin_id", "time"],
      },
      {
        label: `roi_table ${name}`,
        query: `SELECT * FROM roi_table('usd', ${args})`,
        expected: (m) => m.roiTable("usd", from, to),
        key: ["coin_id"],
        allNull: allColumns(["start_time", "start_price", "roi", "roi_vs_btc"]),
      },
      {
        // Of some coins, without bitcoin: roi_vs_btc still needs its price.
        label: `roi_table of some coins ${name}`,
        query: `SELECT * FROM roi_table('usd', ${args}, ARRAY['ethereum', 'edge-new', 'edge-gaps'])`,
        expected: (m) => ofCoins(["ethereum", "edge-new", "edge-gaps"])(m.roiTable("usd", from, to)),
        key: ["coin_id"],
        allNull: allColumns(["start_time", "start_price", "roi", "roi_vs_btc"]),
      },
      {
        // With bitcoin in the list (as dashboards pass "All"): each coin once.
        label: `roi_table of some coins with bitcoin ${name}`,
        query: `SELECT * FROM roi_table('usd', ${args}, ARRAY['bitcoin', 'ethereum', 'edge-gaps'])`,
        expected: (m) => ofCoins(["bitcoin", "ethereum", "edge-gaps"])(m.roiTable("usd", from, to)),
        key: ["coin_id"],
        allNull: allColumns(["start_time", "start_price", "roi", "roi_vs_btc"]),
      },
      {
        label: `roi_table of every coin listed ${name}`,
        query: `SELECT * FROM roi_table('usd', ${args}, ARRAY(SELECT id FROM coins))`,
        expected: (m) => m.roiTable("usd", from, to),
        key: ["coin_id"],
        allNull: allColumns(["start_time", "start_price", "roi", "roi_vs_btc"]),
      },
      {
        label: `investment_value ${name}`,
        query: `SELECT * FROM investment_value('usd', 1000, ${args})`,
        expected: (m) => m.investmentValue("usd", 1000, from, to),
        key: ["coin_id"],
      },
      {
        label: `risk_metrics ${name}`,
        query: `SELECT * FROM risk_metrics('usd', ${args})`,
        expected: (m) => m.riskMetrics("usd", from, to),
        key: ["coin_id"],
      },
      {
        label: `risk_metrics of some coins ${name}`,
        query: `SELECT * FROM risk_metrics('usd', ${args}, ARRAY['ethereum', 'edge-zero'])`,
        expected: (m) => ofCoins(["ethereum", "edge-zero"])(m.riskMetrics("usd", from, to)),
        key: ["coin_id"],
      },
      {
        // Every coin listed, as dashboards pass "All" (coin_filter reads it as no filter).
        label: `risk_metrics of every coin listed ${name}`,
        query: `SELECT * FROM risk_metrics('usd', ${args}, ARRAY(SELECT id FROM coins ORDER BY id DESC))`,
        expected: (m) => m.riskMetrics("usd", from, to),
        key: ["coin_id"],
      },
      ...["bitcoin", "edge-gaps", "edge-zero", "no-such-coin"].flatMap((coin) =>
        [to - from, 7 * DAY, 2.5 * DAY].map((length) => ({
          label: `coin_candles ${coin} ${length / HOUR}h up to the end of ${name}`,
          query: `SELECT * FROM coin_candles('${coin}', 'usd', ${iso(to - length)}, ${iso(to)})`,
          expected: (m: Market) => m.coinCandles(coin, "usd", to - length, to),
          key: ["bucket"],
        }))
      ),
      {
        // Several windows at once with their drawdowns (the functions above ask for one, or for none).
        label: `daily_return_windows ${name}`,
        query: `SELECT * FROM daily_return_windows('usd', ARRAY[${windowStarts.map(iso).join(", ")}], ${
          iso(to)
        }, NULL, true)`,
        expected: (m) => m.dailyReturnWindows("usd", windowStarts, to, null),
        key: ["window_from", "coin_id"],
      },
      ...["edge-zero", "edge-gaps"].map((coin) => ({
        // One coin reads its daily closes rather than the pieces.
        label: `daily_return_windows of ${coin} ${name}`,
        query: `SELECT * FROM daily_return_windows('usd', ARRAY[${windowStarts.map(iso).join(", ")}], ${
          iso(to)
        }, ARRAY['${coin}'], true)`,
        expected: (m: Market) => m.dailyReturnWindows("usd", windowStarts, to, [coin]),
        key: ["window_from", "coin_id"],
        allNull: ["mean_log_return", "stddev_log_return", "downside_deviation", "max_drawdown"],
      })),
      {
        label: `drawdown_series ${name}`,
        query: `SELECT * FROM drawdown_series('edge-zero', 'usd', ${args})`,
        expected: (m) => m.drawdownSeries("edge-zero", "usd", from, to),
        key: ["time"],
      },
      {
        label: `correlation_matrix ${name}`,
        query:
          `SELECT * FROM correlation_matrix('usd', ARRAY['bitcoin', 'ethereum', 'edge-gaps', 'edge-single', 'edge-zero', 'bitcoin', 'no-such-coin'], ${args})`,
        expected: (m) =>
          m.correlationMatrix(
            "usd",
            ["bitcoin", "ethereum", "edge-gaps", "edge-single", "edge-zero", "bitcoin", "no-such-coin"],
            from,
            to,
          ),
        key: ["coin_a", "coin_b"],
        allNull: allColumns(["correlation"]),
      },
      {
        label: `risk_return ${name}`,
        query: `SELECT * FROM risk_return('usd', ${args})`,
        expected: (m) => m.riskReturn("usd", from, to),
        key: ["coin_id"],
        allNull: allColumns(["roi"]),
      },
      {
        label: `risk_return of some coins ${name}`,
        query: `SELECT * FROM risk_return('usd', ${args}, ARRAY['bitcoin', 'edge-gaps'])`,
        expected: (m) => ofCoins(["bitcoin", "edge-gaps"])(m.riskReturn("usd", from, to)),
        key: ["coin_id"],
        allNull: ["change_24h_pct", ...allColumns(["roi"])], // daily history: no price 24 h before the end
      },
    );
    checks.push({
      label: `dca_results of some coins ${name}`,
      query: `SELECT * FROM dca_results('usd', ${subsetSql}, 100, '7 days', ${args})`,
      expected: (m) =>
        subset.map((c) => ({ coin_id: c, ...m.dcaResult(c, "usd", 100, 7 * DAY, from, to)[0] })),
      key: ["coin_id"],
      allNull: ["value", "roi", "average_price"],
    });
    for (const coin of ["bitcoin", "edge-single", "edge-new", "edge-stopped", "edge-gaps", "edge-zero"]) {
      checks.push(
        {
          label: `roi ${coin} ${name}`,
          query: `SELECT roi('${coin}', 'usd', ${args}) AS roi`,
          expected: (m) => [{ roi: m.roi(coin, "usd", from, to) }],
          key: [],
          allNull: ["roi"],
        },
        {
          label: `dca_result ${coin} ${name}`,
          query: `SELECT * FROM dca_result('${coin}', 'usd', 100, '7 days', ${args})`,
          expected: (m) => m.dcaResult(coin, "usd", 100, 7 * DAY, from, to),
          key: [],
          allNull: ["value", "roi", "average_price"],
        },
      );
    }
  }
  return checks;
}

function liveChecks(): Check[] {
  const snapshotColumns = [
    "coin_id",
    "vs_currency",
    "time",
    "price",
    "market_cap",
    "market_cap_rank",
    "total_volume",
  ] as const;
  const checks: Check[] = [
    {
      label: "latest_market (live)",
      query: "SELECT * FROM latest_market",
      expected: (m) => m.latestMarket(),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "price_changes (live)",
      query: "SELECT * FROM price_changes",
      expected: (m) => m.priceChanges(),
      key: ["coin_id", "vs_currency"],
      // A 7-day history: no 30-day, 90-day or 1-year change; CoinGecko's page had no 30d/1y columns.
      allNull: ["change_30d_pct", "change_90d_pct", "change_1y_pct", "cg_change_30d_pct", "cg_change_1y_pct"],
    },
    {
      // The coin dashboard's figures: some coins of one currency are read from their raw rows of the newest two
      // hours (the sparkline's hourly rows and the latest one), the others (unknown here) the general way.
      label: "latest_snapshots of some coins (live)",
      query: "SELECT * FROM latest_snapshots('usd', ARRAY['bitcoin', 'ethereum', 'tether', 'no-such-coin'])",
      expected: (m) =>
        m.latestMarket()
          .filter((r) => ["bitcoin", "ethereum", "tether"].includes(String(r.coin_id)))
          .map((r) => Object.fromEntries(snapshotColumns.map((c) => [c, r[c]]))),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "market_cap_ranking (live)",
      query: "SELECT * FROM market_cap_ranking",
      expected: (m) => m.marketCapRanking(),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "price_tiers (live)",
      query: "SELECT * FROM price_tiers",
      expected: (m) => m.priceTiers(),
      key: ["coin_id", "vs_currency"],
    },
    {
      label: "volatility (live)",
      query: "SELECT * FROM volatility",
      expected: (m) => m.volatility(),
      key: ["coin_id", "vs_currency"],
    },
  ];
  for (const window of [HOUR, 24 * HOUR, 7 * DAY]) {
    const interval = `'${window / HOUR} hours'::interval`;
    checks.push(
      {
        label: `top_movers ${window / HOUR}h (live)`,
        query: `SELECT * FROM top_movers('usd', ${interval}, 10)`,
        expected: (m) => m.topMovers("usd", window, 10),
        key: ["direction", "rank"],
      },
      {
        label: `market_sentiment ${window / HOUR}h (live)`,
        query: `SELECT * FROM market_sentiment('usd', ${interval})`,
        expected: (m) => m.marketSentiment("usd", window),
        key: [],
      },
    );
  }
  return checks;
}

const historyResults = new Map<StorageMode, Map<string, { rows: Row[]; key: string[] }>>();

async function stablecoinList(sql: Sql): Promise<string[]> {
  return (await sql<{ coin_id: string }[]>`SELECT coin_id FROM stablecoins`).map((r) => r.coin_id);
}

for (const mode of modes) {
  Deno.test(`analytics (${mode}): 2021 daily history and edge cases equal the reference`, async () => {
    const data = historyDataset();
    await withTestDatabase(mode, async ({ sql: owner, connectAs }) => {
      // Raw rows kept just as long as the history goes back, as after a first start with a backfill as long as
      // RAW_RETENTION_DAYS: the collector's candle refresh then starts near the retention horizon.
      const keep = Math.ceil((Date.now() - data.start) / 86_400_000) + 1;
      await owner`SELECT internal.set_raw_retention(make_interval(days => ${keep}))`;
      await loadDataset(owner, mode, data);
      // A new session, as Grafana's would be: database settings of the migrations (jit) apply.
      const sql = connectAs(COLLECTOR_ROLE);
      const market = new Market(data.rows, data.coins, await stablecoinList(sql));
      const results = new Map<string, { rows: Row[]; key: string[] }>();
      for (const check of historyChecks(data)) {
        const t0 = performance.now();
        const actual = await run(sql, check);
        const t1 = performance.now();
        const expected = check.expected(market, data);
        const t2 = performance.now();
        if (Deno.env.get("ANALYTICS_TIMING")) {
          console.log(check.label, Math.round(t1 - t0), Math.round(t2 - t1));
        }
        assertRowsMatch(check.label, actual, expected, check);
        results.set(check.label, { rows: actual, key: check.key });
      }
      historyResults.set(mode, results);
      // The data really exercises the edge cases.
      const rois = results.get("roi_table 1y")!.rows;
      assert.equal(rois.find((r) => r.coin_id === "edge-new")?.roi, null, "newly listed: no start price");
      assert.equal(typeof rois.find((r) => r.coin_id === "bitcoin")?.roi, "number");
      const recent = results.get("roi_table 30d")!.rows;
      assert.ok(
        !recent.some((r) => r.coin_id === "edge-stopped"),
        "stopped coin: no observation in the range",
      );
      const latest = results.get("latest_market")!.rows;
      assert.ok(
        !latest.some((r) => r.coin_id === "edge-stopped"),
        "stopped coin is not in the latest market",
      );
      assert.equal(latest.find((r) => r.coin_id === "edge-zero")?.liquidity_ratio, null, "zero market cap");
      const candidates = results.get("stablecoin_candidates")!.rows.map((r) => r.coin_id);
      assert.ok(
        candidates.includes("tether") && !candidates.includes("bitcoin"),
        `candidates: ${candidates}`,
      );
      const movers = results.get("top_movers 168h")!.rows;
      assert.ok(
        movers.length >= 5 && !movers.some((r) => r.coin_id === "tether"),
        `movers: ${movers.length}`,
      );
    });
  });

  if (mode === "timescaledb") {
    Deno.test("analytics (timescaledb): statistics across the materialization watermark equal the reference", async () => {
      const data = historyDataset();
      await withTestDatabase(mode, async ({ sql: owner, connectAs }) => {
        // Continuous aggregates refreshed up to the middle of the history only: the long-range statistics and the
        // price lookups read the stored candles before each watermark and the real-time views after it
        // (208_stored_candles, 209_stored_hourly_candles).
        const middle = data.start + 190.3 * DAY;
        // The refresh policies would move the watermarks to the end if their jobs ran meanwhile.
        await owner`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs
                    WHERE proc_name = 'policy_refresh_continuous_aggregate'`;
        await loadDataset(owner, mode, data, { materializeUntil: middle });
        const [watermarks] = await owner<{ hour: Date; day: Date; week: Date; period: Date }[]>`
          SELECT candles_materialized_until('candles_1h') AS hour, candles_materialized_until('candles_1d') AS day,
            candles_materialized_until('candles_1w') AS week, candles_materialized_until('candles_4w') AS period`;
        for (const at of Object.values(watermarks!)) {
          // Refreshes cover whole buckets: a watermark is the end of the bucket holding the middle.
          const inside = at.getTime() > data.start + 100 * DAY && at.getTime() < data.end - 100 * DAY;
          assert.ok(inside, `watermark ${at.toISOString()}`);
        }
        const sql = connectAs(COLLECTOR_ROLE);
        const market = new Market(data.rows, data.coins, await stablecoinList(sql));
        const checks = historyChecks(data);
        for (const check of checks) {
          assertRowsMatch(check.label, await run(sql, check), check.expected(market, data), check);
        }
      });
    });
  }

  Deno.test(`analytics (${mode}): live market with hourly sparklines equals the reference`, async () => {
    const data = await liveDataset();
    await withTestDatabase(mode, async ({ sql: owner, connectAs }) => {
      await loadDataset(owner, mode, data);
      const sql = connectAs(COLLECTOR_ROLE);
      const market = new Market(data.rows, data.coins, await stablecoinList(sql));
      for (const check of liveChecks()) {
        assertRowsMatch(check.label, await run(sql, check), check.expected(market, data), check);
      }
      const [btc] = await sql`SELECT * FROM latest_market WHERE coin_id = 'bitcoin'`;
      assert.equal(btc?.market_cap_rank, 1);
      assert.equal((btc?.sparkline_7d as number[]).length, 168);
      const [changes] = await sql`SELECT * FROM price_changes WHERE coin_id = 'bitcoin'`;
      // Our 24h change from the sparkline is close to CoinGecko's own figure for the same instant.
      assert.ok(Math.abs((changes!.change_24h_pct as number) - (changes!.cg_change_24h_pct as number)) < 0.5);
      await sql.end();
    });
  });

  Deno.test(`analytics (${mode}): coin_candles keeps its plans on a connection and still sees new rows`, async () => {
    // coin_candles keeps a generic plan per session (as Grafana's pooled connections call it): rows written after
    // the plan, in a chunk that did not exist then, and a refresh that moves the watermarks must show at once.
    const data = historyDataset();
    await withTestDatabase(mode, async ({ sql: owner, connectAs }) => {
      if (mode === "timescaledb") {
        // Watermarks 40 days before the end, moved by the refresh below only (the policies' jobs are paused).
        await owner`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs
                    WHERE proc_name = 'policy_refresh_continuous_aggregate'`;
        await loadDataset(owner, mode, data, { materializeUntil: data.end - 40 * DAY });
      } else {
        await loadDataset(owner, mode, data);
      }
      const watermark = async () =>
        (await owner<{ at: Date | null }[]>`SELECT candles_materialized_until('candles_1d') AS at`)[0]!.at;
      const before = await watermark();
      const reader = connectAs("observatory_reader", { max: 1 });
      try {
        const from = data.end - 60 * DAY, to = data.end + 60 * DAY;
        const check = async (rows: Snapshot[], label: string) => {
          const market = new Market(rows, data.coins);
          // PostgreSQL turns a PL/pgSQL statement to its generic plan from the sixth call on.
          for (let i = 0; i < 7; i++) {
            const actual = await reader.unsafe(
              `SELECT * FROM coin_candles('bitcoin', 'usd', ${iso(from)}, ${iso(to)})`,
            ) as unknown as Row[];
            assertRowsMatch(label, actual, market.coinCandles("bitcoin", "usd", from, to), {
              label,
              query: "",
              expected: () => [],
              key: ["bucket"],
            });
          }
        };
        await check(data.rows, "before the new rows");
        const later = [50 * DAY, 50 * DAY + HOUR].map((offset, i) => ({
          time: data.end + offset,
          coinId: "bitcoin",
          vs: "usd",
          price: 70_000 + i,
          marketCap: 1.4e12,
          totalVolume: 3e10,
        }));
        await insertSnapshots(owner, later);
        await refreshCandles(owner, mode, new Date(later[0]!.time), new Date(later[1]!.time));
        await check([...data.rows, ...later], "with rows 50 days after the end, in a new chunk");
        await refreshCandles(owner, mode, new Date(data.start), new Date(Date.now()));
        if (mode === "timescaledb") {
          assert.ok((await watermark())! > before!, "the refresh moved the watermark");
        }
        await check([...data.rows, ...later], "after a refresh of every candle");
      } finally {
        await reader.end();
      }
    });
  });

  Deno.test(`analytics (${mode}): changes over 90 days and a year, beside CoinGecko's 30-day and 1-year`, async () => {
    // The 2021 history spans 364 days, one short of a 1-year change: two years of one coin here (its 2021 closes,
    // preceded by the same closes at half the price a year earlier), with CoinGecko's changes on its newest row,
    // and a coin of 200 days (a 90-day change, no 1-year one).
    const btc = historySeries("bitcoin");
    const span = btc.at(-1)!.time - btc[0]!.time + DAY;
    const rows: Snapshot[] = [
      ...btc.map((r) => ({ ...r, coinId: "two-years", time: r.time - span, price: r.price / 2 })),
      ...btc.map((r) => ({ ...r, coinId: "two-years" })),
      ...btc.slice(-200).map((r) => ({ ...r, coinId: "young", price: r.price * 3 })),
    ];
    rows[btc.length * 2 - 1] = { ...rows[btc.length * 2 - 1]!, cgChange30d: 12.5, cgChange1y: -40.25 };
    const coins = ["two-years", "young"].map((id) => ({
      id,
      symbol: id.slice(0, 3),
      name: id,
      imageUrl: null,
    }));
    const times = rows.map((r) => r.time);
    const data = { coins, rows, globals: [], start: Math.min(...times), end: Math.max(...times) };
    await withTestDatabase(mode, async ({ sql }) => {
      await loadDataset(sql, mode, data);
      const market = new Market(data.rows, data.coins);
      const check: Check = {
        label: "price_changes over two years",
        query: "SELECT * FROM price_changes",
        expected: (m) => m.priceChanges(),
        key: ["coin_id", "vs_currency"],
        // Daily rows: no 1-hour change, and none over 24 hours (the newest row is 13.8 hours after the one before,
        // whose age is beyond the 30-hour tolerance); the page's other changes are not set here.
        allNull: [
          "change_1h_pct",
          "change_24h_pct",
          "cg_change_1h_pct",
          "cg_change_24h_pct",
          "cg_change_7d_pct",
        ],
      };
      const actual = await run(sql, check);
      assertRowsMatch(check.label, actual, check.expected(market, data), check);
      const two = actual.find((r) => r.coin_id === "two-years")!;
      const young = actual.find((r) => r.coin_id === "young")!;
      assert.equal(typeof two.change_1y_pct, "number");
      assert.deepEqual([two.cg_change_30d_pct, two.cg_change_1y_pct], [12.5, -40.25]);
      assert.equal(typeof young.change_90d_pct, "number");
      assert.equal(young.change_1y_pct, null, "200 days: no 1-year change");
    });
  });

  Deno.test(`analytics (${mode}): an empty database gives empty results or NULLs, never an error`, async () => {
    await withTestDatabase(mode, async ({ sql }) => {
      const range = "now() - interval '30 days', now()";
      for (
        const view of [
          "latest_market",
          "price_changes",
          "price_tiers",
          "market_cap_ranking",
          "volatility",
          "stablecoin_candidates",
          "daily_trend",
          "dominance_history",
          "global_market_history",
        ]
      ) {
        assert.deepEqual([...await sql.unsafe(`SELECT * FROM ${view}`)], [], view);
      }
      for (
        const call of [
          `volatility_between('usd', ${range})`,
          `rolling_volatility('usd', NULL, 30, ${range})`,
          `roi_table('usd', ${range})`,
          `investment_value('usd', 100, ${range})`,
          `risk_metrics('usd', ${range})`,
          `drawdown_series('bitcoin', 'usd', ${range})`,
          `risk_return('usd', ${range})`,
          `top_movers('usd', '24 hours', 10)`,
          `dominance_between(${range}, '1 hour')`,
          `global_market_between('usd', ${range}, '1 hour')`,
        ]
      ) {
        assert.deepEqual([...await sql.unsafe(`SELECT * FROM ${call}`)], [], call);
      }
      const one = async (text: string) => [...await sql.unsafe(text)];
      assert.deepEqual(await one(`SELECT roi('bitcoin', 'usd', ${range}) AS roi`), [{ roi: null }]);
      assert.deepEqual(await one(`SELECT * FROM dca_result('bitcoin', 'usd', 100, '1 day', ${range})`), [
        { buys: 0, invested: 0, units: 0, value: null, roi: null, average_price: null },
      ]);
      assert.deepEqual(await one("SELECT * FROM market_sentiment('usd', '24 hours')"), [
        { coins: 0, up: 0, down: 0, share_up_pct: null, mean_change_pct: null, dispersion_pct: null },
      ]);
      assert.deepEqual(await one("SELECT * FROM altcoin_season_index('usd')"), [
        { index_pct: null, coins_considered: 0, coins_beating_btc: 0 },
      ]);
      assert.deepEqual(await one(`SELECT * FROM correlation_matrix('usd', ARRAY['bitcoin'], ${range})`), [
        { coin_a: "bitcoin", coin_b: "bitcoin", correlation: null, observations: 0 },
      ]);
    });
  });

  Deno.test(`analytics (${mode}): bad arguments get a clear one-line error`, async () => {
    await withTestDatabase(mode, async ({ sql }) => {
      const range = "now() - interval '30 days', now()";
      const cases: [string, RegExp][] = [
        [
          `SELECT * FROM dca_result('bitcoin', 'usd', 100, '0 days', ${range})`,
          /buy interval must be positive/,
        ],
        [
          `SELECT * FROM dca_result('bitcoin', 'usd', -5, '1 day', ${range})`,
          /amount per buy must be positive/,
        ],
        [
          `SELECT * FROM dca_result('bitcoin', 'usd', 5, '1 second', ${range})`,
          /too short for the range: more than 100000 buys/,
        ],
        [
          `SELECT * FROM dca_result('bitcoin', 'usd', 5, '1 day', now(), now() - interval '1 day')`,
          /must not be after/,
        ],
        [`SELECT * FROM investment_value('usd', 0, ${range})`, /amount must be positive/],
        [`SELECT * FROM roi_table('usd', now(), now() - interval '1 day')`, /must be before to/],
        [
          `SELECT * FROM rolling_volatility('usd', NULL, 1, ${range})`,
          /window must be at least 2 days, got 1/,
        ],
        ["SELECT * FROM top_movers('usd', '-1 hour', 5)", /window must be a positive interval/],
        ["SELECT * FROM top_movers('usd', '1 hour', -1)", /limit must be 0 or more, got -1/],
        [`SELECT * FROM dominance_between(${range}, '0 hours')`, /step must be a positive interval/],
        [`SELECT * FROM global_market_between('usd', ${range}, '1 second')`, /step 00:00:01 is too small/],
      ];
      for (const [text, message] of cases) {
        await assert.rejects(sql.unsafe(text), (error: Error) => {
          assert.match(error.message, message, text);
          assert.ok(!error.message.includes("\n"), `multi-line error for ${text}`);
          return true;
        });
      }
    });
  });

  Deno.test(`analytics (${mode}): coin_filter reads a list of every coin as no filter`, async () => {
    await withTestDatabase(mode, async ({ sql }) => {
      await sql`INSERT INTO coins (id, symbol, name) VALUES ('bitcoin', 'btc', 'Bitcoin'), ('ethereum', 'eth', 'Ethereum')`;
      const filter = async (coins: string) =>
        (await sql.unsafe(`SELECT coin_filter(${coins}) AS f`))[0]!.f as string[] | null;
      assert.equal(await filter("NULL"), null);
      assert.equal(await filter("ARRAY['ethereum', 'bitcoin', 'bitcoin']"), null);
      assert.deepEqual(await filter("ARRAY['bitcoin']"), ["bitcoin"]);
      assert.deepEqual(await filter("ARRAY['bitcoin', 'no-such-coin']"), ["bitcoin", "no-such-coin"]);
      assert.deepEqual(await filter("'{}'::text[]"), []);
    });
  });

  Deno.test(`analytics (${mode}): the read-only role can use the whole surface`, async () => {
    const data = historyDataset(12);
    await withTestDatabase(mode, async ({ sql, connectAs }) => {
      await loadDataset(sql, mode, data);
      const reader = connectAs("observatory_reader", { max: 1 });
      try {
        const range = `${iso(data.end - 30 * DAY)}, ${iso(data.end)}`;
        for (
          const text of [
            "SELECT * FROM latest_market",
            "SELECT * FROM price_changes",
            "SELECT * FROM price_tiers",
            "SELECT * FROM market_cap_ranking",
            "SELECT * FROM volatility",
            "SELECT * FROM stablecoins",
            "SELECT * FROM stablecoin_candidates",
            "SELECT * FROM daily_trend WHERE coin_id = 'bitcoin'",
            "SELECT * FROM dominance_history",
            "SELECT * FROM global_market_history",
            `SELECT * FROM volatility_between('usd', ${range})`,
            `SELECT * FROM rolling_volatility('usd', ARRAY['bitcoin'], 30, ${range})`,
            `SELECT roi('bitcoin', 'usd', ${range})`,
            `SELECT * FROM roi_table('usd', ${range})`,
            `SELECT * FROM investment_value('usd', 100, ${range})`,
            `SELECT * FROM dca_result('bitcoin', 'usd', 100, '1 day', ${range})`,
            `SELECT * FROM risk_metrics('usd', ${range})`,
            `SELECT * FROM drawdown_series('bitcoin', 'usd', ${range})`,
            `SELECT * FROM correlation_matrix('usd', ARRAY['bitcoin', 'ethereum'], ${range})`,
            `SELECT * FROM risk_return('usd', ${range})`,
            "SELECT * FROM top_movers('usd', '24 hours', 5)",
            "SELECT * FROM market_sentiment('usd', '24 hours')",
            `SELECT * FROM dominance_between(${range}, '1 day')`,
            `SELECT * FROM global_market_between('usd', ${range}, '1 day')`,
            `SELECT * FROM altcoin_season_index('usd', ${iso(data.end)})`,
          ]
        ) {
          const rows = await reader.unsafe(text);
          assert.ok(rows.length > 0, `reader got no rows from ${text}`);
        }
        await assert.rejects(reader`SELECT record_detected_stablecoins()`, /permission denied/);
      } finally {
        await reader.end();
      }
      // The collector (or an operator) records the detected ones.
      const [added] = await sql`SELECT record_detected_stablecoins() AS n`;
      const detected = await sql`SELECT coin_id FROM stablecoins WHERE source = 'detected'`;
      assert.equal(detected.length, added?.n);
    });
  });
}

if (modes.includes("timescaledb")) {
  Deno.test("analytics: both storage modes give the same answers on the same data", () => {
    const plain = historyResults.get("postgres"), timescale = historyResults.get("timescaledb");
    assert.ok(plain && timescale, "both history tests must have run first");
    assert.equal(timescale.size, plain.size);
    for (const [label, { rows, key }] of plain) {
      const other = timescale.get(label)!.rows;
      assertRowsMatch(`${label} (timescaledb vs postgres)`, other, rows, {
        label,
        query: "",
        expected: () => rows,
        key,
        allNull: Object.keys(rows[0] ?? {}),
      });
    }
  });
}
