import assert from "node:assert/strict";
import { refreshCandles } from "./candles.ts";
import { storageModes, withTestDatabase } from "../testing/db.ts";
import type { Sql } from "./connect.ts";

const modes = await storageModes();
const HOUR = 3_600_000;

/** Hourly prices for `coins` over the `days` days before now. */
async function writeHours(sql: Sql, coins: string[], days: number): Promise<{ from: Date; to: Date }> {
  const to = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const from = to - days * 24 * HOUR;
  await sql`INSERT INTO coins ${
    sql(coins.map((id) => ({ id, symbol: id, name: id })))
  } ON CONFLICT DO NOTHING`;
  const rows = coins.flatMap((coin) =>
    Array.from({ length: days * 24 }, (_, i) => ({
      time: new Date(from + i * HOUR + 60_000),
      coin_id: coin,
      vs_currency: "usd",
      price: 100 + i,
    }))
  );
  for (let i = 0; i < rows.length; i += 5000) {
    await sql`INSERT INTO market_snapshots ${
      sql(rows.slice(i, i + 5000), "time", "coin_id", "vs_currency", "price")
    }`;
  }
  return { from: new Date(from), to: new Date(to) };
}

/** Per coin, the samples of each candle level's buckets older than `days` days. */
async function oldCandles(sql: Sql, days: number): Promise<Record<string, number>> {
  const rows = await sql<{ key: string; n: number }[]>`
    SELECT c.level || ' ' || c.coin_id AS key, sum(c.samples)::int AS n
    FROM (
      SELECT '1h' AS level, coin_id, samples, bucket FROM candles_1h
      UNION ALL SELECT '1d', coin_id, samples, bucket FROM candles_1d
      UNION ALL SELECT '1w', coin_id, samples, bucket FROM candles_1w
      UNION ALL SELECT '4w', coin_id, samples, bucket FROM candles_4w
    ) c
    WHERE c.bucket < now() - make_interval(days => ${days})
    GROUP BY 1 ORDER BY 1`;
  return Object.fromEntries(rows.map((r) => [r.key, r.n]));
}

if (modes.includes("timescaledb")) {
  Deno.test("refreshCandles (timescaledb): a backfill never erases candles behind the retention horizon", async () => {
    await withTestDatabase("timescaledb", async ({ sql }) => {
      const first = await writeHours(sql, ["a", "b"], 30);
      await refreshCandles(sql, "timescaledb", first.from, first.to);
      const before = await oldCandles(sql, 20);
      for (const level of ["1h", "1d", "1w", "4w"]) {
        const a = before[`${level} a`], b = before[`${level} b`];
        assert.ok(a! > 200 && b === a, `setup: ${JSON.stringify(before)}`);
      }

      // Retention drops the raw rows of a and b older than 7 days; their candles must stay.
      await sql`SELECT internal.set_raw_retention(INTERVAL '7 days')`;
      await sql`SELECT drop_chunks('market_snapshots', older_than => INTERVAL '7 days')`;
      // A 30-day backfill of a new coin, then the collector's refresh of that range.
      const backfill = await writeHours(sql, ["c"], 30);
      await refreshCandles(sql, "timescaledb", backfill.from, backfill.to, ["c"]);

      // Every level of a and b as before: the daily and longer levels are refreshed over the whole backfill,
      // from the hourly ones.
      const after = await oldCandles(sql, 20);
      for (const key of Object.keys(before)) assert.equal(after[key], before[key], `${key} lost candles`);
    });
  });
}

Deno.test("internal.refresh_candles (postgres): a refresh waits for an overlapping one to commit", async () => {
  await withTestDatabase("postgres", async ({ sql, connectAs }) => {
    const range = await writeHours(sql, ["a", "b"], 2);
    const other = connectAs("observatory_collector", { max: 1 });
    try {
      // The first refresh stays uncommitted while the second starts: without serialization the
      // second one's INSERT collides with the first one's rows on the primary key.
      const first = sql.begin(async (tx) => {
        await tx`SELECT internal.refresh_candles(${range.from}, ${range.to}, NULL)`;
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = other`SELECT internal.refresh_candles(${range.from}, ${range.to}, ARRAY['a'])`;
      await Promise.all([first, second]);
    } finally {
      await other.end();
    }
    const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM candles_1h`;
    assert.equal(count?.n, 2 * 2 * 24);
  });
});

for (const mode of modes) {
  Deno.test(`refreshCandles (${mode}): overlapping refreshes both succeed`, async () => {
    await withTestDatabase(mode, async ({ sql, connectAs }) => {
      const range = await writeHours(sql, ["a", "b", "c"], 10);
      const other = connectAs("observatory_collector");
      try {
        await Promise.all([
          refreshCandles(sql, mode, range.from, range.to),
          refreshCandles(other, mode, range.from, range.to, ["a"]),
          refreshCandles(sql, mode, range.from, range.to, ["b", "c"]),
        ]);
      } finally {
        await other.end();
      }
      const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM candles_1h`;
      assert.equal(count?.n, 3 * 10 * 24);
    });
  });
}

for (const mode of modes) {
  Deno.test(`refreshCandles (${mode}): a backfill just inside the retention horizon fills every candle level`, async () => {
    await withTestDatabase(mode, async ({ sql }) => {
      // The first start's backfill of a history that begins a week after the raw-retention horizon: the weekly
      // and 4-week candles read the daily ones, which keep their history, so no level may start later.
      await sql`SELECT internal.set_raw_retention(INTERVAL '70 days')`;
      const range = await writeHours(sql, ["a", "b"], 63);
      await refreshCandles(sql, mode, range.from, range.to);
      const samples = await sql<{ level: string; n: number }[]>`
        SELECT 'candles_1h' AS level, sum(samples)::int AS n FROM candles_1h
        UNION ALL SELECT 'candles_1d', sum(samples)::int FROM candles_1d
        UNION ALL SELECT 'candles_1w', sum(samples)::int FROM candles_1w
        UNION ALL SELECT 'candles_4w', sum(samples)::int FROM candles_4w`;
      assert.deepEqual(
        Object.fromEntries(samples.map((s) => [s.level, s.n])),
        {
          candles_1h: 2 * 63 * 24,
          candles_1d: 2 * 63 * 24,
          candles_1w: 2 * 63 * 24,
          candles_4w: 2 * 63 * 24,
        },
      );
    });
  });
}

if (modes.includes("timescaledb")) {
  Deno.test("sql/212 (timescaledb): repairs the levels a clipped refresh left out at the start of the history", async () => {
    await withTestDatabase("timescaledb", async ({ sql }) => {
      const range = await writeHours(sql, ["a"], 63);
      // What the collector's refresh used to leave: the hourly candles all there, the other levels only from
      // eight weeks ago.
      const clipped = new Date(Date.now() - 56 * 24 * HOUR);
      await sql`CALL refresh_continuous_aggregate('candles_1h', ${range.from}, ${range.to})`;
      for (const view of ["candles_1d", "candles_1w", "candles_4w"]) {
        await sql`CALL refresh_continuous_aggregate(${view}::regclass, ${clipped}, now() - INTERVAL '10 minutes')`;
      }
      const levels = () =>
        sql<{ n: number }[]>`
          SELECT sum(samples)::int AS n FROM candles_1d UNION ALL SELECT sum(samples)::int FROM candles_1w
          UNION ALL SELECT sum(samples)::int FROM candles_4w`;
      assert.notDeepEqual(
        (await levels()).map((l) => l.n),
        [63 * 24, 63 * 24, 63 * 24],
        "setup: nothing left out",
      );

      await sql.unsafe(
        await Deno.readTextFile(
          new URL("../../sql/212_candle_levels_repair.timescaledb.sql", import.meta.url),
        ),
      )
        .simple();
      assert.deepEqual((await levels()).map((l) => l.n), [63 * 24, 63 * 24, 63 * 24]);
    });
  });
}
