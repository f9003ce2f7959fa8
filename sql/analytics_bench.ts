/**
 * Analytics benchmark (`deno task bench` / `deno bench -A sql/analytics_bench.ts`).
 *
 * Setup (once, kept for later runs): a database per storage mode with BENCH_DAYS (365) days of 5-minute
 * snapshots for BENCH_COINS (250) coins (~26 M rows, sql/bench/generate.ts), candles refreshed, and in
 * TimescaleDB mode the chunks older than 14 days compressed as the policy would. A kept database is
 * migrated again first (the runner replaces the analytics surface when it changed) and topped up to now, as a
 * running collector keeps it, and again every 5 minutes of the run (outside the timed calls).
 *
 * What runs, for "last 30 days" and "last year":
 * - every query of the provisioned dashboards (panels and variables) and alert rules, expanded as Grafana
 *   expands it (grafana/macros.ts) with the dashboards' default variables, as the read-only role;
 * - every object of the analytics surface, called directly.
 * Each side by side with the same query computed from the raw snapshots: the very same SQL text, with
 * candles_1h / 1d / 1w / 4w swapped (search_path) for views that aggregate market_snapshots on the fly over the
 * time the query needs (and the views and functions of the surface then read those). Queries that read no
 * candles (global snapshots, ingest runs) have no raw twin.
 * Deno reports each group ("candles" is the baseline); the p95 table and speed-ups are printed at the end.
 *
 * Environment: BENCH_COINS, BENCH_DAYS, BENCH_RUNS (candle runs per query, 20), BENCH_RAW_RUNS (1; 0 = no
 * raw twins), BENCH_MODES (postgres,timescaledb: those available), BENCH_ONLY (a regular expression on the
 * query names), BENCH_SHOW=1 (print each query's text), BENCH_REGENERATE=1 to rebuild the data, BENCH_GENERATE_ONLY=1 (prepare the data only),
 * BENCH_REPORT (a file to write the table to).
 */
import type { Sql } from "../ingest/db/connect.ts";
import { migrate, type StorageMode } from "../ingest/db/migrate.ts";
import { storageModes } from "../ingest/testing/db.ts";
import { MIN_INTERVAL_MS, resolveVariables } from "../grafana/harness.ts";
import { expandPanelQuery, panelIntervalMs, type TimeRange } from "../grafana/macros.ts";
import { alertQueries, loadProvisioning, panelQueries, variableQueries } from "../grafana/provisioning.ts";
import { connectTo, createDatabase, databaseExists } from "./bench/database.ts";
import { generate, topUp } from "./bench/generate.ts";

const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const COINS = env("BENCH_COINS", 250);
const DAYS = env("BENCH_DAYS", 365);
const RUNS = env("BENCH_RUNS", 20);
const RAW_RUNS = env("BENCH_RAW_RUNS", 1);
const ONLY = new RegExp(Deno.env.get("BENCH_ONLY") ?? "");
const available = await storageModes();
const MODES = (Deno.env.get("BENCH_MODES")?.split(",") ?? available).filter((m): m is StorageMode =>
  available.includes(m as StorageMode)
);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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
  // Weeks and 4-week periods as internal.refresh_long_candles (206_long_candles.postgres.sql) makes them.
  const longer = (size: string, stats: string, source: string) => `
    SELECT date_bin(INTERVAL '${size}', bucket, '2000-01-03 00:00:00+00') AS bucket, coin_id, vs_currency,
      (array_agg(open ORDER BY bucket))[1] AS open, max(high) AS high, min(low) AS low,
      (array_agg(close ORDER BY bucket DESC))[1] AS close,
      (array_agg(volume ORDER BY bucket DESC))[1] AS volume,
      (array_agg(market_cap ORDER BY bucket DESC))[1] AS market_cap,
      sum(samples) AS samples, sum(sum_price) AS sum_price, sum(sum_price_sq) AS sum_price_sq,
      min(open_time) AS open_time, max(close_time) AS close_time, (${stats}).*
    FROM raw_source.${source}
    GROUP BY 1, 2, 3`;
  const week = longer("7 days", "public.daily_close_stats(bucket, close ORDER BY bucket)", "candles_1d");
  const period = longer(
    "28 days",
    `public.merge_close_stats(first_day, first_close, last_day, close, days, log_returns, log_return_mean,
      log_return_m2, log_return_downside, max_close, min_close, max_drawdown, sum_close ORDER BY bucket)`,
    "candles_1w",
  );
  await sql.unsafe(`DROP SCHEMA IF EXISTS raw_source CASCADE; CREATE SCHEMA raw_source;
    CREATE VIEW raw_source.candles_1h AS ${candle("1 hour")};
    CREATE VIEW raw_source.candles_1d AS ${candle("1 day")};
    CREATE VIEW raw_source.candles_1w AS ${week};
    CREATE VIEW raw_source.candles_4w AS ${period};
    CREATE VIEW raw_source.candles_1h_stored AS SELECT * FROM raw_source.candles_1h;
    CREATE VIEW raw_source.candles_1d_stored AS SELECT * FROM raw_source.candles_1d;
    CREATE VIEW raw_source.candles_1w_stored AS SELECT * FROM raw_source.candles_1w;
    CREATE VIEW raw_source.candles_4w_stored AS SELECT * FROM raw_source.candles_4w;`).simple();
  // Views bind their tables when created: recreate every view of the database (the surface's and the alerting
  // ones of the migrations) from its text, in raw_source, in creation order, so that a view reading another one
  // reads its twin (functions find the candles through the search_path when they run).
  const views = (await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'
      AND c.relname !~ '^candles_' -- the candles and their stored rows: raw twins above
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    ORDER BY c.oid`).map((v) => v.name);
  for (const view of views) {
    const [{ definition }] = await sql.unsafe(
      `SELECT pg_get_viewdef('public.${view}'::regclass) AS definition`,
    ) as unknown as [{ definition: string }];
    await sql.unsafe(
      `SET search_path = raw_source, public; CREATE VIEW raw_source.${view} AS ${definition}; RESET search_path`,
    ).simple();
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
    const sql = connectTo(name);
    try {
      // The raw twins depend on the surface: recreated below.
      await sql.unsafe("SET client_min_messages = warning; DROP SCHEMA IF EXISTS raw_source CASCADE")
        .simple();
      const { applied } = await migrate(sql, { mode });
      log(`${mode}: reusing ${name}${applied.length ? ` (applied ${applied.join(", ")})` : ""}`);
      await topUp(sql, mode, (m) => log(`${mode}: ${m}`));
    } finally {
      await sql.end();
    }
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
      // A settled database, as autovacuum leaves it: statistics, and the pages' visibility that index-only
      // scans need (candles_1d_closes_idx).
      await sql`VACUUM (ANALYZE)`;
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
  /** Start of the raw rows the raw twin needs (the query's range or window, plus its look-back); none: no twin. */
  rawFrom?: string;
}

type Span = "30d" | "1y";
const SPANS: Record<Span, number> = { "30d": 30 * DAY, "1y": 365 * DAY };

/** The analytics surface called directly. */
function surfaceQueries(span: Span): Query[] {
  const interval = span === "30d" ? "30 days" : "365 days";
  const from = `now() - INTERVAL '${interval}'`, range = `${from}, now()`;
  const top = "ARRAY(SELECT id FROM coins ORDER BY id LIMIT 12)";
  const before = (extra: string) => `now() - INTERVAL '${interval}' - INTERVAL '${extra}'`;
  const step = span === "30d" ? "1 hour" : "12 hours";
  return [
    {
      name: "latest_market",
      text: "SELECT * FROM latest_market WHERE vs_currency = 'usd'",
      rawFrom: "now() - INTERVAL '9 days'",
    },
    {
      name: "latest_market one coin",
      text: "SELECT * FROM latest_market WHERE coin_id = 'bitcoin'",
      rawFrom: "now() - INTERVAL '9 days'",
    },
    {
      name: "price_changes",
      text: "SELECT * FROM price_changes WHERE vs_currency = 'usd'",
      rawFrom: "'-infinity'",
    },
    {
      name: "price_tiers",
      text: "SELECT tier, count(*) FROM price_tiers GROUP BY tier",
      rawFrom: "now() - INTERVAL '9 days'",
    },
    {
      name: "market_cap_ranking",
      text: "SELECT * FROM market_cap_ranking WHERE vs_currency = 'usd' ORDER BY rank",
      rawFrom: "now() - INTERVAL '9 days'",
    },
    {
      name: "volatility",
      text: "SELECT * FROM volatility ORDER BY vol_rank_30d",
      rawFrom: "now() - INTERVAL '92 days'",
    },
    {
      name: "stablecoin_candidates",
      text: "SELECT * FROM stablecoin_candidates",
      rawFrom: "now() - INTERVAL '31 days'",
    },
    {
      name: "top_movers",
      text: `SELECT * FROM top_movers('usd', '${interval}', 10)`,
      rawFrom: before("9 days"),
    },
    {
      name: "market_sentiment",
      text: `SELECT * FROM market_sentiment('usd', '${interval}')`,
      rawFrom: before("9 days"),
    },
    {
      name: "altcoin_season_index",
      text: "SELECT * FROM altcoin_season_index('usd')",
      rawFrom: "now() - INTERVAL '120 days'",
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
    { name: "roi", text: `SELECT roi('bitcoin', 'usd', ${range})`, rawFrom: before("8 days") },
    { name: "roi_table", text: `SELECT * FROM roi_table('usd', ${range})`, rawFrom: before("8 days") },
    {
      name: "investment_value",
      text: `SELECT * FROM investment_value('usd', 1000, ${range})`,
      rawFrom: before("8 days"),
    },
    {
      name: "dca_result daily",
      text: `SELECT * FROM dca_result('bitcoin', 'usd', 10, '1 day', ${range})`,
      rawFrom: before("8 days"),
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
    },
    {
      name: "daily_trend crosses, all coins",
      text: `SELECT * FROM daily_trend WHERE "cross" IS NOT NULL AND bucket >= ${from}`,
      rawFrom: "'-infinity'",
    },
    {
      name: "correlation_matrix 12 coins",
      text: `SELECT * FROM correlation_matrix('usd', ${top}, ${range})`,
      rawFrom: before("1 day"),
    },
    { name: "risk_return", text: `SELECT * FROM risk_return('usd', ${range})`, rawFrom: before("8 days") },
    { name: "dominance_between (chart step)", text: `SELECT * FROM dominance_between(${range}, '${step}')` },
    {
      name: "global_market_between (chart step)",
      text: `SELECT * FROM global_market_between('usd', ${range}, '${step}')`,
    },
  ];
}

/**
 * Where a dashboard query's raw twin must start for the same answer: the earliest look-back of the objects
 * it reads (relative to the range start, or to now for the "as of now" objects); none for queries that read
 * raw rows only (or by key), whose twin would be the same statements.
 */
function dashboardRawFrom(text: string, range: TimeRange): string | undefined {
  // The coin dashboard's figures of the latest snapshot, its changes up to 24 hours and the price-move alerts read
  // raw rows only (latest_snapshots with coins, raw_price_lookup, the alerts' last 15 minutes): the raw twin would
  // run the same statements.
  const figure = /^SELECT \w+ FROM latest_snapshots\('[^']*', ARRAY\['[^']*'\]\)$/;
  if (
    figure.test(text.trim()) ||
    /\blatest_price_changes\('[^']*', ARRAY\['[^']*'\], '(1|24) hours'\)/.test(text) ||
    /\balert_price_moves\b/.test(text)
  ) {
    return undefined;
  }
  const at = (ms: number) => `'${new Date(ms).toISOString()}'`;
  const start = Math.min(range.from.getTime(), range.to.getTime() - 30 * DAY);
  const now = range.to.getTime();
  const starts: number[] = [];
  const uses = (pattern: RegExp, from: number) => pattern.test(text) && starts.push(from);
  uses(/\b(latest_)?price_changes\b/, -Infinity); // changes over up to a year and a quarter
  uses(/\bFROM volatility\b|\blatest_volatility\(/, now - 92 * DAY);
  uses(/\b(latest_snapshots|hourly_volatility)\(/, now - 9 * DAY);
  uses(/\b(top_movers|market_sentiment)\(/, now - 40 * DAY); // the windows offered, stablecoin detection
  uses(/\b(latest_market|price_tiers)\b/, now - 9 * DAY);
  uses(
    /\b(risk_return|risk_metrics|roi_table|investment_value|correlation_matrix|dca_results?|roi)\(/,
    start - 8 * DAY,
  );
  uses(/\brolling_volatility\(/, start - 100 * DAY); // the window chosen (up to 90 days)
  uses(/\b(drawdown_series|coin_candles)\(|\bcandles_1[hdw]\b|\bdaily_trend\b/, start - 2 * DAY);
  uses(/\bdaily_trend\b/, -Infinity);
  uses(/\balert_volatility_spikes\b/, now - 33 * DAY);
  if (!starts.length) return undefined;
  const from = Math.min(...starts);
  return Number.isFinite(from) ? at(from) : "'-infinity'";
}

/** Every query of the dashboards (as Grafana sends it for the range) and of the alert rules, deduplicated. */
async function dashboardQueries(sql: Sql, span: Span): Promise<Query[]> {
  const provisioning = await loadProvisioning();
  const now = Date.now();
  const range = { from: new Date(now - SPANS[span]), to: new Date(now) };
  const queries = new Map<string, Query>();
  const add = (name: string, text: string) => {
    if (!queries.has(text)) queries.set(text, { name, text, ...optional(dashboardRawFrom(text, range)) });
  };
  for (const { dashboard } of provisioning.dashboards) {
    if (dashboard.uid === "pipeline-health") continue; // the collector's own records, no market data
    const variables = await resolveVariables(sql, dashboard, range);
    for (const query of variableQueries(dashboard)) {
      add(
        query.label,
        expandPanelQuery(query.rawSql, { range, intervalMs: MIN_INTERVAL_MS, timescaledb: true, variables }),
      );
    }
    for (const query of panelQueries(dashboard)) {
      const intervalMs = panelIntervalMs(range, query.maxDataPoints ?? 1000, MIN_INTERVAL_MS);
      add(query.label, expandPanelQuery(query.rawSql, { range, intervalMs, timescaledb: true, variables }));
    }
  }
  for (const query of alertQueries(provisioning)) {
    const text = expandPanelQuery(query.rawSql, {
      range: { from: new Date(now - 10 * 60_000), to: new Date(now) },
      intervalMs: query.intervalMs!,
      timescaledb: true,
      variables: {},
    });
    if (!/pipeline_freshness|collector_errors/.test(text)) add(query.label, text);
  }
  return [...queries.values()];
}

const optional = (rawFrom: string | undefined) => (rawFrom ? { rawFrom } : {});

const closing: Sql[] = [];
let reported = false;

// A running collector writes every 5 minutes, and a run lasts 10-40 minutes: top the data up as it goes (between
// timed calls), so that the reads "as of now" (the alerts' last 15 minutes, the hot hourly bucket) meet the state
// they meet in use rather than data that ends when the run started.
const TOP_UP_EVERY_MS = 5 * 60_000;
const toppedUpAt = new Map<StorageMode, number>();
async function keepFresh(writer: Sql, mode: StorageMode): Promise<void> {
  if (Date.now() - (toppedUpAt.get(mode) ?? 0) < TOP_UP_EVERY_MS) return;
  await topUp(writer, mode, (m) => log(`${mode}: ${m}`));
  toppedUpAt.set(mode, Date.now());
}
interface Timing {
  mode: StorageMode;
  span: Span;
  group: "dashboard" | "surface";
  query: string;
  candles: number[];
  raw: number[];
  rawFrom: string | undefined;
}
const timings = new Map<string, Timing>();
const rawByText = new Map<string, number[]>();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

const generateOnly = Deno.env.get("BENCH_GENERATE_ONLY") === "1";
for (const mode of generateOnly ? [] : MODES) {
  const name = await prepare(mode);
  // One connection per side, kept open, like Grafana's pool; the candles side as Grafana's role.
  const candles = connectTo(name, 1, "observatory_reader");
  const raw = connectTo(name, 1);
  const writer = connectTo(name, 1);
  closing.push(candles, raw, writer);
  toppedUpAt.set(mode, Date.now()); // prepare() topped up; the benchmarks run later, mode after mode
  for (const span of ["30d", "1y"] as const) {
    const groups: [Timing["group"], Query[]][] = [
      ["dashboard", await dashboardQueries(candles, span)],
      ["surface", surfaceQueries(span)],
    ];
    for (const [group, list] of groups) {
      for (const query of list) {
        const key = `${mode} ${span} ${group}: ${query.name}`;
        if (!ONLY.test(key)) continue;
        if (Deno.env.get("BENCH_SHOW")) log(`${key}\n${query.text}`);
        const record: Timing = {
          mode,
          span,
          group,
          query: query.name,
          candles: [],
          raw: [],
          rawFrom: query.rawFrom,
        };
        timings.set(key, record);
        Deno.bench({
          name: "candles",
          group: key,
          baseline: true,
          n: RUNS,
          warmup: 2,
          async fn(b) {
            await keepFresh(writer, mode);
            b.start();
            const t = performance.now();
            await candles.unsafe(query.text).simple();
            record.candles.push(performance.now() - t);
            b.end();
          },
        });
        const twinKey = `${mode} ${query.rawFrom} ${query.text}`;
        if (RAW_RUNS > 0 && query.rawFrom) {
          let warmup = true;
          Deno.bench({
            name: "raw snapshots",
            group: key,
            n: RAW_RUNS,
            warmup: 0,
            async fn(b) {
              // Deno always runs one warm-up call: skip it here, a raw query takes up to minutes. The same
              // text and start (an "as of now" query in both spans) is measured once.
              const known = rawByText.get(twinKey);
              if (warmup || known) {
                warmup = false;
                if (known && !record.raw.length) record.raw.push(...known);
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
                await tx.unsafe(query.text).simple();
                record.raw.push(performance.now() - t);
                b.end();
              });
              rawByText.set(twinKey, record.raw);
            },
          });
        }
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
      "| mode | range | kind | query | candles p50 ms | candles p95 ms | raw ms (median) | speed-up (raw / candles p95) |",
      "|---|---|---|---|---:|---:|---:|---:|",
    ];
    for (const t of timings.values()) {
      // Deno runs the warm-up through fn too: the first 2 candle timings are the warm-up.
      const measured = t.candles.slice(2);
      const p95 = percentile(measured, 0.95), p50 = percentile(measured, 0.5);
      const rawMedian = t.raw.length ? percentile(t.raw, 0.5) : NaN;
      const rawCell = t.rawFrom === undefined
        ? "raw rows, no twin"
        : Number.isNaN(rawMedian)
        ? "n/a"
        : rawMedian.toFixed(0);
      lines.push(
        `| ${t.mode} | ${t.span} | ${t.group} | ${t.query} | ${p50.toFixed(1)} | ${
          p95.toFixed(1)
        } | ${rawCell} | ${Number.isNaN(rawMedian) ? "n/a" : `${(rawMedian / p95).toFixed(0)}x`} |`,
      );
    }
    const table = lines.join("\n");
    console.log(`\n${table}\n`);
    const report = Deno.env.get("BENCH_REPORT");
    if (report) Deno.writeTextFileSync(report, `${table}\n`);
  },
});
