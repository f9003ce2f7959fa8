/**
 * The schema's guarantees: the read-only role can only read, candles equal an independent computation
 * from the raw rows, and both storage modes give the same candles for the same data.
 */
import assert from "node:assert/strict";
import type { Sql } from "../ingest/db/connect.ts";
import { refreshCandles } from "../ingest/db/candles.ts";
import type { RangeRow } from "../ingest/collector/writer.ts";
import type { StorageMode } from "../ingest/db/migrate.ts";
import { storageModes, withTestDatabase } from "../ingest/testing/db.ts";
import { historyCoinList, loadHistory } from "../ingest/testing/history.ts";

const modes = await storageModes();
const RECORDINGS = new URL("../../shared/coingecko/", import.meta.url);

/** A raw row with the columns these tests write (the writer's backfill row). */
type Snapshot = RangeRow;

/** Real rows: daily 2021 history of 25 coins, plus the recorded hourly week of bitcoin and ethereum. */
async function realSnapshots(): Promise<Snapshot[]> {
  const rows: Snapshot[] = [];
  for (const coin of historyCoinList().slice(0, 25)) {
    for (const p of loadHistory(coin.id)) {
      rows.push({
        time: new Date(p.time),
        coin_id: coin.id,
        vs_currency: "usd",
        price: p.price,
        market_cap: p.marketCap,
        total_volume: p.totalVolume,
      });
    }
  }
  for (const coin of ["bitcoin", "ethereum"]) {
    const body = JSON.parse(
      await Deno.readTextFile(
        new URL(`coins_${coin}_market_chart_range_vs-usd_7days_hourly_2023-02-19.json`, RECORDINGS),
      ),
    ) as { prices: [number, number][]; market_caps: [number, number][]; total_volumes: [number, number][] };
    body.prices.forEach(([time, price], i) => {
      rows.push({
        time: new Date(time),
        coin_id: coin,
        vs_currency: "usd",
        price,
        market_cap: body.market_caps[i]?.[1] ?? null,
        total_volume: body.total_volumes[i]?.[1] ?? null,
      });
    });
  }
  return rows;
}

/** Insert the rows (and their coins) without touching the candles. */
async function insert(sql: Sql, rows: Snapshot[]): Promise<void> {
  const ids = [...new Set(rows.map((r) => r.coin_id))];
  await sql`INSERT INTO coins ${sql(ids.map((id) => ({ id, symbol: id.slice(0, 4), name: id })))}`;
  for (let i = 0; i < rows.length; i += 2000) {
    await sql`INSERT INTO market_snapshots ${
      sql(rows.slice(i, i + 2000), "time", "coin_id", "vs_currency", "price", "market_cap", "total_volume")
    }`;
  }
}

/** Refresh the candles over the rows' whole time range, as the collector does after a write. */
async function refresh(sql: Sql, mode: StorageMode, rows: Snapshot[]): Promise<void> {
  const times = rows.map((r) => r.time.getTime());
  await refreshCandles(sql, mode, new Date(Math.min(...times)), new Date(Math.max(...times)));
}

type CandleRow = Record<string, string | number | null>;

async function candles(
  sql: Sql,
  view: "candles_1h" | "candles_1d" | "candles_1w" | "candles_4w",
): Promise<CandleRow[]> {
  // Text for times (exact), floats as numbers; samples cast to int so both modes print alike.
  const stats = view === "candles_1w" || view === "candles_4w"
    ? `, days, log_returns, log_return_mean, log_return_m2, log_return_downside, first_day::text, first_close,
       last_day::text, max_close, min_close, max_drawdown, sum_close`
    : "";
  return await sql.unsafe(`
    SELECT bucket::text, coin_id, vs_currency, open, high, low, close, volume, market_cap, samples::int,
           sum_price, sum_price_sq, open_time::text, close_time::text${stats}
    FROM ${view} ORDER BY coin_id, vs_currency, bucket`) as unknown as CandleRow[];
}

/** Columns that are sums, whose floating-point order may differ between the modes. */
const SUMS = new Set([
  "sum_price",
  "sum_price_sq",
  "log_return_mean",
  "log_return_m2",
  "log_return_downside",
  "sum_close",
]);

/** Exact equality, except sums whose floating-point order may differ: relative 1e-12. */
function assertSameCandles(actual: CandleRow[], expected: CandleRow[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: row count`);
  actual.forEach((row, i) => {
    const want = expected[i]!;
    for (const [key, value] of Object.entries(want)) {
      const got = row[key];
      if (SUMS.has(key) && typeof value === "number") {
        const diff = Math.abs((got as number) - value);
        assert.ok(diff <= 1e-12 * Math.abs(value) + 1e-15, `${label} row ${i} ${key}: ${got} vs ${value}`);
      } else {
        assert.deepEqual(got, value, `${label} row ${i} (${want.coin_id} ${want.bucket}) ${key}`);
      }
    }
  });
}

for (const mode of modes) {
  Deno.test(`read-only role (${mode}): reads the public surface and nothing else`, async () => {
    await withTestDatabase(mode, async ({ sql, connectAs }) => {
      await sql`INSERT INTO coins (id, symbol, name) VALUES ('bitcoin', 'btc', 'Bitcoin')`;
      const reader = connectAs("observatory_reader", { max: 1 });
      try {
        // Role settings apply when the role logs in itself (Grafana does); check they are configured.
        const [role] = await sql<{ config: string[] }[]>`
          SELECT rolconfig AS config FROM pg_roles WHERE rolname = 'observatory_reader'`;
        for (const setting of ["statement_timeout=30s", "default_transaction_read_only=on"]) {
          assert.ok(role?.config.includes(setting), `observatory_reader lacks ${setting}: ${role?.config}`);
        }
        for (
          const view of [
            "coins",
            "market_snapshots",
            "global_snapshots",
            "candles_1h",
            "candles_1d",
            "candles_1w",
            "candles_4w",
            "ingest_runs",
          ]
        ) {
          await reader.unsafe(`SELECT * FROM ${view} LIMIT 1`);
        }
        // Read-only transactions are only a default a session may turn off: privileges must hold anyway.
        await reader`SET default_transaction_read_only = off`;
        const denied = [
          "INSERT INTO coins (id, symbol, name) VALUES ('x', 'x', 'x')",
          "UPDATE coins SET name = 'changed'",
          "DELETE FROM coins",
          "INSERT INTO market_snapshots (time, coin_id, vs_currency, price) VALUES (now(), 'bitcoin', 'usd', 1)",
          "CREATE TABLE intruder (x int)",
          "CREATE SCHEMA intruder",
          "DROP TABLE coins",
          "ALTER TABLE coins ADD COLUMN x int",
          "TRUNCATE coins",
          "SELECT * FROM internal.schema_migrations",
        ];
        for (const statement of denied) {
          await assert.rejects(reader.unsafe(statement), /permission denied|must be owner/, statement);
        }
        const [count] = await sql`SELECT count(*)::int AS n FROM coins`;
        assert.equal(count?.n, 1);
      } finally {
        await reader.end();
      }
    });
  });

  Deno.test(`comments (${mode}): every public table, view and function says what it holds`, async () => {
    await withTestDatabase(mode, async ({ sql }) => {
      // Objects of schema public, not those of an extension (TimescaleDB's functions, pg_stat_statements).
      const missing = await sql<{ name: string }[]>`
        SELECT c.relname AS name FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
          AND obj_description(c.oid, 'pg_class') IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        UNION ALL
        SELECT p.oid::regprocedure::text FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1`;
      assert.deepEqual(missing.map((r) => r.name), []);
    });
  });

  Deno.test(`candles (${mode}): equal an independent computation from the raw rows`, async () => {
    const rows = await realSnapshots();
    await withTestDatabase(mode, async ({ sql }) => {
      await insert(sql, rows);
      await refresh(sql, mode, rows);
      // Independent hourly candles in TypeScript.
      const groups = new Map<string, Snapshot[]>();
      for (const r of rows) {
        const bucket = Math.floor(r.time.getTime() / 3_600_000) * 3_600_000;
        const key = `${r.coin_id}|${bucket}`;
        groups.set(key, [...groups.get(key) ?? [], r]);
      }
      const hourly = await candles(sql, "candles_1h");
      assert.equal(hourly.length, groups.size);
      for (const row of hourly) {
        const bucket = Date.parse(String(row.bucket).replace(" ", "T").replace(/\+00$/, "Z"));
        const group = groups.get(`${row.coin_id}|${bucket}`);
        assert.ok(group, `unexpected bucket ${row.coin_id} ${row.bucket}`);
        group.sort((a, b) => a.time.getTime() - b.time.getTime());
        const prices = group.map((g) => g.price);
        assert.equal(row.open, prices[0]);
        assert.equal(row.close, prices.at(-1));
        assert.equal(row.high, Math.max(...prices));
        assert.equal(row.low, Math.min(...prices));
        assert.equal(row.volume, group.at(-1)!.total_volume);
        assert.equal(row.samples, group.length);
        const sum = prices.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs((row.sum_price as number) - sum) <= 1e-12 * sum);
      }
      // Daily candles roll up the hourly ones: compare with a direct daily computation.
      const daily = await candles(sql, "candles_1d");
      const days = new Map<string, Snapshot[]>();
      for (const r of rows) {
        const key = `${r.coin_id}|${Math.floor(r.time.getTime() / 86_400_000)}`;
        days.set(key, [...days.get(key) ?? [], r]);
      }
      assert.equal(daily.length, days.size);
      const btcWeek = daily.filter((d) =>
        d.coin_id === "bitcoin" && String(d.bucket).startsWith("2023-02-15")
      );
      assert.equal(btcWeek.length, 1);
      const group = days.get(`bitcoin|${Date.parse("2023-02-15T00:00:00Z") / 86_400_000}`)!;
      assert.equal(btcWeek[0]!.samples, group.length);
      assert.equal(btcWeek[0]!.high, Math.max(...group.map((g) => g.price)));

      // Weekly and 4-week candles: the statistics of their daily closes, computed here from the daily candles.
      for (const [view, days] of [["candles_1w", 7], ["candles_4w", 28]] as const) {
        const rows = await candles(sql, view);
        const periods = new Map<string, CandleRow[]>();
        for (const d of daily) {
          const start = periodStart(String(d.bucket), days);
          const key = `${d.coin_id}|${start}`;
          periods.set(key, [...periods.get(key) ?? [], d]);
        }
        assert.equal(rows.length, periods.size, `${view}: one row per coin and period`);
        for (const row of rows) {
          const group = periods.get(`${row.coin_id}|${toMs(String(row.bucket))}`)!;
          assertCloseStats(row, closeStats(group), `${view} ${row.coin_id} ${row.bucket}`);
        }
      }
    });
  });

  // The volatility cone, correlations and moving averages read many coins' daily closes over a range
  // (daily_log_returns): from candles_1d_closes_idx alone, once vacuum has marked the pages visible.
  // The planner is steered to an index (the test data is small enough for a sequential scan) but picks which.
  Deno.test(`candles (${mode}): daily closes are read from the index alone`, async () => {
    const rows = await realSnapshots();
    await withTestDatabase(mode, async ({ sql }) => {
      await insert(sql, rows);
      await refresh(sql, mode, rows);
      await sql`VACUUM (ANALYZE)`;
      const plan = await sql.begin(async (tx) => {
        await tx`SET LOCAL enable_seqscan = off`;
        await tx`SET LOCAL enable_bitmapscan = off`;
        return (await tx.unsafe(`
          EXPLAIN SELECT coin_id, bucket, close,
            lag(close) OVER (PARTITION BY coin_id ORDER BY bucket) AS previous_close
          FROM candles_1d
          WHERE vs_currency = 'usd' AND coin_id = ANY (ARRAY['bitcoin', 'ethereum', 'cardano'])
            AND bucket > '2021-03-01' AND bucket <= '2021-09-01'`))
          .map((r) => String(r["QUERY PLAN"])).join("\n");
      });
      assert.match(plan, /Index Only Scan using \S*candles_1d_closes_idx/, plan);
      assert.doesNotMatch(plan, /Index Scan using|Seq Scan/, plan);
      // Plain mode: partitioned in the index's order, the window needs no sort (TimescaleDB sorts the union of
      // stored and real-time rows).
      if (mode === "postgres") assert.doesNotMatch(plan, /Sort/, plan);
    });
  });
}

const DAY_MS = 86_400_000;
const toMs = (text: string) => Date.parse(text.replace(" ", "T").replace(/\+00$/, "Z"));
/** Start of the period of `days` days holding the day, aligned like time_bucket (Monday 2000-01-03). */
function periodStart(day: string, days: number): number {
  const origin = Date.UTC(2000, 0, 3), size = days * DAY_MS;
  return origin + Math.floor((toMs(day) - origin) / size) * size;
}

/** Statistics of consecutive daily closes, two-pass, as the definition says. */
function closeStats(days: CandleRow[]) {
  const closes = days.map((d) => d.close as number);
  const returns: number[] = [];
  days.forEach((d, i) => {
    const previous = days[i - 1];
    if (
      previous && toMs(String(d.bucket)) - toMs(String(previous.bucket)) === DAY_MS && closes[i]! > 0 &&
      closes[i - 1]! > 0
    ) returns.push(Math.log(closes[i]! / closes[i - 1]!));
  });
  const mean = returns.length ? returns.reduce((a, b) => a + b, 0) / returns.length : 0;
  let peak = -Infinity, drawdown: number | null = null;
  for (const c of closes) {
    peak = Math.max(peak, c);
    if (peak !== 0) drawdown = Math.max(drawdown ?? -Infinity, 1 - c / peak);
  }
  return {
    days: days.length,
    log_returns: returns.length,
    log_return_mean: mean,
    log_return_m2: returns.reduce((a, r) => a + (r - mean) ** 2, 0),
    log_return_downside: returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0),
    first_day: String(days[0]!.bucket),
    first_close: closes[0]!,
    last_day: String(days.at(-1)!.bucket),
    close: closes.at(-1)!,
    max_close: Math.max(...closes),
    min_close: Math.min(...closes),
    max_drawdown: drawdown,
    sum_close: closes.reduce((a, b) => a + b, 0),
  };
}

function assertCloseStats(row: CandleRow, want: ReturnType<typeof closeStats>, label: string): void {
  for (const [key, value] of Object.entries(want)) {
    const got = row[key];
    if (typeof value === "number" && typeof got === "number") {
      assert.ok(
        Math.abs(got - value) <= 1e-9 * Math.abs(value) + 1e-12,
        `${label} ${key}: ${got} vs ${value}`,
      );
    } else {
      assert.deepEqual(got, value, `${label} ${key}`);
    }
  }
}

if (modes.includes("timescaledb")) {
  Deno.test("storage modes: the same real history gives the same candles, row by row", async () => {
    const rows = await realSnapshots();
    const result: Partial<
      Record<
        StorageMode,
        {
          hourly: CandleRow[];
          daily: CandleRow[];
          weekly: CandleRow[];
          fourWeekly: CandleRow[];
          realtime: CandleRow[] | undefined;
        }
      >
    > = {};
    for (const mode of ["postgres", "timescaledb"] as const) {
      await withTestDatabase(mode, async ({ sql }) => {
        await insert(sql, rows);
        // TimescaleDB before any refresh: everything comes from real-time aggregation.
        const realtime = mode === "timescaledb" ? await candles(sql, "candles_1d") : undefined;
        await refresh(sql, mode, rows);
        result[mode] = {
          hourly: await candles(sql, "candles_1h"),
          daily: await candles(sql, "candles_1d"),
          weekly: await candles(sql, "candles_1w"),
          fourWeekly: await candles(sql, "candles_4w"),
          realtime,
        };
      });
    }
    assert.ok(result.postgres!.hourly.length > 9000, `only ${result.postgres!.hourly.length} hourly candles`);
    assertSameCandles(result.timescaledb!.hourly, result.postgres!.hourly, "candles_1h");
    assertSameCandles(result.timescaledb!.daily, result.postgres!.daily, "candles_1d");
    assert.ok(result.postgres!.weekly.length > 1000, `only ${result.postgres!.weekly.length} weekly candles`);
    assertSameCandles(result.timescaledb!.weekly, result.postgres!.weekly, "candles_1w");
    assertSameCandles(result.timescaledb!.fourWeekly, result.postgres!.fourWeekly, "candles_4w");
    assertSameCandles(result.timescaledb!.realtime!, result.postgres!.daily, "candles_1d real-time");
  });
}
