/**
 * Analytics benchmark (`deno task bench` / `deno bench -A sql/analytics_bench.ts`).
 *
 * Setup (once, kept for later runs): a database per storage mode with BENCH_DAYS (365) days of 5-minute
 * snapshots for BENCH_COINS (250) coins (~26 M rows, sql/bench/generate.ts), candles refreshed, and in
 * TimescaleDB mode the chunks older than 14 days compressed as the policy would.
 *
 * Each analytics query the dashboards use is run for "last 30 days" and "last year" (a range, or a
 * window for the as-of objects), side by side with the same query computed from the raw snapshots: the
 * very same SQL text of the views and functions, with candles_1h / candles_1d swapped (search_path) for
 * views that aggregate market_snapshots on the fly over exactly the time window the query needs.
 * Deno reports each group ("candles" is the baseline); the p95 table and speed-ups are printed at the end.
 *
 * Environment: BENCH_COINS, BENCH_DAYS, BENCH_RUNS (candle runs per query, 20), BENCH_RAW_RUNS (1),
 * BENCH_MODES (postgres,timescaledb: those available), BENCH_REGENERATE=1 to rebuild the data,
 * BENCH_GENERATE_ONLY=1 (prepare the data only), BENCH_REPORT (a file to write the table to).
 */
import type { Sql } from "../ingest/db/connect.ts";
import type { StorageMode } from "../ingest/db/migrate.ts";
import { storageModes } from "../ingest/testing/db.ts";
import { connectTo, createDatabase, databaseExists, reapplyAnalytics } from "./bench/database.ts";
import { generate } from "./bench/generate.ts";

const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const COINS = env("BENCH_COINS", 250);
const DAYS = env("BENCH_DAYS", 365);
const RUNS = env("BENCH_RUNS", 20);
const RAW_RUNS = env("BENCH_RAW_RUNS", 1);
const available = await storageModes();
const MODES = (Deno.env.get("BENCH_MODES")?.split(",") ?? available).filter((m): m is StorageMode =>
  available.includes(m as StorageMode)
);

const log = (message: string) => console.error(`[bench] ${message}`);

/** The raw-snapshot twins of the candles and of every analytics view, in schema raw_source. */
async function createRawSource(sql: Sql): Promise<void> {
  const candle = (size: string) => `
    SELECT date_bin(INTERVAL '${size}', time, '2000-01-03 00:00:00+00') AS bucket, coin_id, vs_currency,
      (array_agg(price ORDER BY time))[1] AS open, max(price) AS high, min(price) AS low,
      (array_agg(price ORDER BY time DESC))[1] AS close,
      (array_agg(total_volume ORDER BY time DESC))[1] AS volume,
      (array_agg(market_cap ORDER BY time DESC))[1] AS market_cap,
      count(*) AS samples, sum(price) AS sum_price, sum(price * price) AS sum_price_sq,
      min(time) AS open_time, max(time) AS close_time
    FROM public.market_snapshots
    WHERE time >= current_setting('bench.raw_from')::timestamptz
    GROUP BY 1, 2, 3`;
  await sql.unsafe(`DROP SCHEMA IF EXISTS raw_source CASCADE; CREATE SCHEMA raw_source;
    CREATE VIEW raw_source.candles_1h AS ${candle("1 hour")};
    CREATE VIEW raw_source.candles_1d AS ${candle("1 day")};`).simple();
  // Views bind their tables when created: recreate each analytics view from its text, in raw_source.
  const views = [
    "latest_market",
    "price_changes",
    "price_tiers",
    "stablecoin_candidates",
    "volatility",
    "daily_trend",
  ];
  for (const view of views) {
    const [{ definition }] = await sql.unsafe(
      `SELECT pg_get_viewdef('public.${view}'::regclass) AS definition`,
    ) as unknown as [
      { definition: string },
    ];
    await sql.unsafe(
      `SET search_path = raw_source, public; CREATE VIEW raw_source.${view} AS ${definition}; RESET search_path`,
    )
      .simple();
  }
}

async function prepare(mode: StorageMode): Promise<string> {
  const name = `obs_bench_${mode}_${COINS}c_${DAYS}d`;
  const ready = await databaseExists(name) && Deno.env.get("BENCH_REGENERATE") !== "1" && await (async () => {
    const sql = connectTo(name);
    try {
      return (await sql`SELECT to_regclass('internal.bench_ready') IS NOT NULL AS ok`)[0]?.ok === true;
    } finally {
      await sql.end();
    }
  })();
  if (ready) {
    log(`${mode}: reusing ${name} (analytics migrations re-applied)`);
    await reapplyAnalytics(name, mode);
  } else {
    log(`${mode}: generating ${COINS} coins x ${DAYS} days into ${name}`);
    await createDatabase(name, mode);
    const sql = connectTo(name);
    try {
      const started = performance.now();
      const range = await generate(sql, mode, { coins: COINS, days: DAYS, log: (m) => log(`${mode}: ${m}`) });
      if (mode === "timescaledb") {
        await sql`SELECT count(compress_chunk(c, if_not_compressed => true))
                  FROM show_chunks('market_snapshots', older_than => now() - INTERVAL '14 days') c`;
      }
      await sql`ANALYZE`;
      await sql`CREATE TABLE internal.bench_ready AS SELECT ${range.rows}::bigint AS rows, now() AS at`;
      log(`${mode}: ${range.rows} rows ready in ${Math.round((performance.now() - started) / 1000)} s`);
    } finally {
      await sql.end();
    }
  }
  const sql = connectTo(name);
  try {
    await createRawSource(sql);
  } finally {
    await sql.end();
  }
  return name;
}

interface Query {
  name: string;
  text: string;
  /** Start of the raw rows the raw twin needs (the query's range or window, plus its look-back). */
  rawFrom: string;
  /** The raw twin does the same work for both ranges: measured once, with the 30-day range. */
  rawOnce?: boolean;
}

function queries(label: "30d" | "1y"): Query[] {
  const span = label === "30d" ? "30 days" : "365 days";
  const from = `now() - INTERVAL '${span}'`, range = `${from}, now()`;
  const top = "ARRAY(SELECT id FROM coins ORDER BY id LIMIT 12)";
  const before = (extra: string) => `now() - INTERVAL '${span}' - INTERVAL '${extra}'`;
  return [
    {
      name: "latest_market",
      text: "SELECT * FROM latest_market WHERE vs_currency = 'usd'",
      rawFrom: "now() - INTERVAL '8 days'",
      rawOnce: true,
    },
    {
      name: "latest_market one coin",
      text: "SELECT * FROM latest_market WHERE coin_id = 'bitcoin'",
      rawFrom: "now() - INTERVAL '8 days'",
      rawOnce: true,
    },
    {
      name: "price_changes",
      text: "SELECT * FROM price_changes WHERE vs_currency = 'usd'",
      rawFrom: "now() - INTERVAL '370 days'",
      rawOnce: true,
    },
    {
      name: "price_tiers",
      text: "SELECT tier, count(*) FROM price_tiers GROUP BY tier",
      rawFrom: "now() - INTERVAL '8 days'",
      rawOnce: true,
    },
    {
      name: "volatility",
      text: "SELECT * FROM volatility ORDER BY vol_rank_30d",
      rawFrom: "now() - INTERVAL '92 days'",
      rawOnce: true,
    },
    {
      name: "stablecoin_candidates",
      text: "SELECT * FROM stablecoin_candidates",
      rawFrom: "now() - INTERVAL '31 days'",
      rawOnce: true,
    },
    { name: "top_movers", text: `SELECT * FROM top_movers('usd', '${span}', 10)`, rawFrom: before("9 days") },
    {
      name: "market_sentiment",
      text: `SELECT * FROM market_sentiment('usd', '${span}')`,
      rawFrom: before("9 days"),
    },
    {
      name: "altcoin_season_index",
      text: "SELECT * FROM altcoin_season_index('usd')",
      rawFrom: "now() - INTERVAL '120 days'",
      rawOnce: true,
    },
    {
      name: "volatility_between",
      text: `SELECT * FROM volatility_between('usd', ${range})`,
      rawFrom: before("1 day"),
    },
    {
      name: "rolling_volatility 30d window, 12 coins",
      text: `SELECT * FROM rolling_volatility('usd', ${top}, 30, ${range})`,
      rawFrom: before("32 days"),
    },
    { name: "roi", text: `SELECT roi('bitcoin', 'usd', ${range})`, rawFrom: before("4 days") },
    { name: "roi_table", text: `SELECT * FROM roi_table('usd', ${range})`, rawFrom: before("4 days") },
    {
      name: "investment_value",
      text: `SELECT * FROM investment_value('usd', 1000, ${range})`,
      rawFrom: before("4 days"),
    },
    {
      name: "dca_result daily",
      text: `SELECT * FROM dca_result('bitcoin', 'usd', 10, '1 day', ${range})`,
      rawFrom: before("4 days"),
    },
    { name: "risk_metrics", text: `SELECT * FROM risk_metrics('usd', ${range})`, rawFrom: before("1 day") },
    {
      name: "drawdown_series",
      text: `SELECT * FROM drawdown_series('bitcoin', 'usd', ${range})`,
      rawFrom: before("1 day"),
    },
    {
      name: "daily_trend one coin",
      text:
        `SELECT * FROM daily_trend WHERE coin_id = 'bitcoin' AND vs_currency = 'usd' AND bucket >= ${from}`,
      rawFrom: "'-infinity'",
      rawOnce: true,
    },
    {
      name: "daily_trend crosses, all coins",
      text: `SELECT * FROM daily_trend WHERE "cross" IS NOT NULL AND bucket >= ${from}`,
      rawFrom: "'-infinity'",
      rawOnce: true,
    },
    {
      name: "correlation_matrix 12 coins",
      text: `SELECT * FROM correlation_matrix('usd', ${top}, ${range})`,
      rawFrom: before("1 day"),
    },
    { name: "risk_return", text: `SELECT * FROM risk_return('usd', ${range})`, rawFrom: before("4 days") },
    {
      name: "dominance_between (chart step)",
      text: `SELECT * FROM dominance_between(${range}, '${label === "30d" ? "1 hour" : "12 hours"}')`,
      rawFrom: "",
    },
    {
      name: "global_market_between (chart step)",
      text: `SELECT * FROM global_market_between('usd', ${range}, '${
        label === "30d" ? "1 hour" : "12 hours"
      }')`,
      rawFrom: "",
    },
    {
      name: "dominance_history (no candles: raw table)",
      text: `SELECT * FROM dominance_history WHERE time >= ${from}`,
      rawFrom: "",
    },
    {
      name: "global_market_history (no candles: raw table)",
      text: `SELECT * FROM global_market_history WHERE vs_currency = 'usd' AND time >= ${from}`,
      rawFrom: "",
    },
  ];
}

const closing: Sql[] = [];
let reported = false;
const timings = new Map<
  string,
  { mode: StorageMode; range: string; query: string; candles: number[]; raw: number[] }
>();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

const generateOnly = Deno.env.get("BENCH_GENERATE_ONLY") === "1";
for (const mode of generateOnly ? [] : MODES) {
  const name = await prepare(mode);
  // One connection per side, kept open, like Grafana's pool.
  const candles = connectTo(name, 1);
  const raw = connectTo(name, 1);
  closing.push(candles, raw);
  for (const range of ["30d", "1y"] as const) {
    for (const query of queries(range)) {
      const key = `${mode} ${range} ${query.name}`;
      const record = { mode, range, query: query.name, candles: [] as number[], raw: [] as number[] };
      timings.set(key, record);
      Deno.bench({
        name: "candles",
        group: key,
        baseline: true,
        n: RUNS,
        warmup: 2,
        async fn(b) {
          b.start();
          const t = performance.now();
          await candles.unsafe(query.text);
          record.candles.push(performance.now() - t);
          b.end();
        },
      });
      if (RAW_RUNS > 0 && query.rawFrom && !(query.rawOnce && range === "1y")) {
        let warmup = true;
        Deno.bench({
          name: "raw snapshots",
          group: key,
          n: RAW_RUNS,
          warmup: 0,
          async fn(b) {
            // Deno always runs one warm-up call: skip it here, a raw query takes up to minutes.
            if (warmup) {
              warmup = false;
              b.start();
              b.end();
              return;
            }
            await raw.begin(async (tx) => {
              await tx.unsafe(`SET LOCAL search_path = raw_source, public; SET LOCAL work_mem = '64MB'`)
                .simple();
              await tx.unsafe(
                `SELECT set_config('bench.raw_from', (${query.rawFrom})::timestamptz::text, true)`,
              );
              b.start();
              const t = performance.now();
              await tx.unsafe(query.text);
              record.raw.push(performance.now() - t);
              b.end();
            });
          },
        });
      }
    }
  }
}

// BENCH_GENERATE_ONLY=1: prepare the databases (the slow part) and stop.
if (generateOnly) { for (const mode of MODES) await prepare(mode); }

// Grouped like the others so that it runs last (Deno runs ungrouped benchmarks first).
Deno.bench({
  name: "report",
  group: "zz report",
  n: 1,
  warmup: 0,
  async fn() {
    if (reported) return;
    reported = true;
    await Promise.all(closing.map((c) => c.end()));
    const lines = [
      `Analytics benchmark: ${COINS} coins x ${DAYS} days of 5-minute snapshots; ${RUNS} runs per candle query.`,
      "",
      "| mode | range | query | candles p50 ms | candles p95 ms | raw ms (median) | speed-up (raw / candles p95) |",
      "|---|---|---|---:|---:|---:|---:|",
    ];
    for (const t of timings.values()) {
      // Deno runs the warm-up through fn too: the first 2 candle timings are the warm-up.
      const measured = t.candles.slice(2);
      const p95 = percentile(measured, 0.95), p50 = percentile(measured, 0.5);
      const rawRuns = t.raw.length ? t.raw : (timings.get(`${t.mode} 30d ${t.query}`)?.raw ?? []);
      const rawMedian = rawRuns.length ? percentile(rawRuns, 0.5) : NaN;
      lines.push(
        `| ${t.mode} | ${t.range} | ${t.query} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${
          Number.isNaN(rawMedian) ? "n/a" : rawMedian.toFixed(0)
        } | ${Number.isNaN(rawMedian) ? "n/a" : `${(rawMedian / p95).toFixed(0)}x`} |`,
      );
    }
    const table = lines.join("\n");
    console.log(`\n${table}\n`);
    const report = Deno.env.get("BENCH_REPORT");
    if (report) Deno.writeTextFileSync(report, `${table}\n`);
  },
});
