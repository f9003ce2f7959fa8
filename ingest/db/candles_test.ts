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

async function oldCandles(sql: Sql, days: number): Promise<Record<string, number>> {
  const rows = await sql<{ coin_id: string; n: number }[]>`
    SELECT coin_id, count(*)::int AS n FROM candles_1h
    WHERE bucket < now() - make_interval(days => ${days}) GROUP BY 1 ORDER BY 1`;
  return Object.fromEntries(rows.map((r) => [r.coin_id, r.n]));
}

if (modes.includes("timescaledb")) {
  Deno.test("refreshCandles (timescaledb): a backfill never erases candles behind the retention horizon", async () => {
    await withTestDatabase("timescaledb", async ({ sql }) => {
      const first = await writeHours(sql, ["a", "b"], 30);
      await refreshCandles(sql, "timescaledb", first.from, first.to);
      const before = await oldCandles(sql, 20);
      assert.ok(before.a! > 200 && before.b === before.a, `setup: ${JSON.stringify(before)}`);

      // Retention drops the raw rows of a and b older than 7 days; their candles must stay.
      await sql`SELECT internal.set_raw_retention(INTERVAL '7 days')`;
      await sql`SELECT drop_chunks('market_snapshots', older_than => INTERVAL '7 days')`;
      // A 30-day backfill of a new coin, then the collector's refresh of that range.
      const backfill = await writeHours(sql, ["c"], 30);
      await refreshCandles(sql, "timescaledb", backfill.from, backfill.to, ["c"]);

      const after = await oldCandles(sql, 20);
      assert.equal(after.a, before.a, "coin a lost candles");
      assert.equal(after.b, before.b, "coin b lost candles");
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
