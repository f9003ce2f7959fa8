/**
 * Backfill write rate: insertRangeRows (COPY, batched as runBackfill batches) against `psql \copy` of
 * the same rows into the same table, on the same machine, in one run. Target: at least 0.8 of psql's
 * rows/s. psql's time includes starting psql and connecting (a few ms).
 */
import { benchDatabase } from "../bench/db.ts";
import { historyCoinList, loadHistory } from "../testing/history.ts";
import { insertRangeRows, type RangeRow } from "./writer.ts";
import { BACKFILL_BATCH_ROWS } from "./backfill.ts";

const db = await benchDatabase("postgres");
const coins = historyCoinList().slice(0, 30);
await db.sql`INSERT INTO coins ${db.sql(coins.map((c) => ({ id: c.id, symbol: c.symbol, name: c.name })))}`;

// Hourly points for 30 coins over 90 days (one backfill chunk each), from the real daily history.
const HOUR = 3_600_000;
const chunks: RangeRow[][] = coins.map((coin) => {
  const history = loadHistory(coin.id);
  const rows: RangeRow[] = [];
  const start = Date.UTC(2021, 3, 1);
  for (let i = 0; i < 90 * 24; i++) {
    const day = history[Math.min(history.length - 1, Math.floor(i / 24) + 90)]!;
    rows.push({
      time: new Date(start + i * HOUR + 37_000),
      coin_id: coin.id,
      vs_currency: "usd",
      price: day.price * (1 + 0.001 * Math.sin(i)),
      market_cap: day.marketCap,
      total_volume: day.totalVolume,
    });
  }
  return rows;
});
const total = chunks.reduce((n, c) => n + c.length, 0);

const csvPath = await Deno.makeTempFile({ suffix: ".tsv" });
await Deno.writeTextFile(
  csvPath,
  chunks.flat().map((r) =>
    `${r.time.toISOString()}\t${r.coin_id}\t${r.vs_currency}\t${r.price}\t${r.market_cap ?? "\\N"}\t${
      r.total_volume ?? "\\N"
    }\trange`
  ).join("\n") + "\n",
);

const rates: Record<string, number[]> = { psql: [], writer: [], perChunk: [] };

Deno.bench({
  name: `psql \\copy of ${total} rows`,
  group: "backfill write",
  baseline: true,
  async fn(b) {
    await db.sql`TRUNCATE market_snapshots`;
    b.start();
    const t = performance.now();
    const out = await new Deno.Command("psql", {
      args: [
        db.url,
        "-q",
        "-c",
        `\\copy market_snapshots (time, coin_id, vs_currency, price, market_cap, total_volume, source) from '${csvPath}'`,
      ],
    }).output();
    rates.psql!.push(total / ((performance.now() - t) / 1000));
    b.end();
    if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  },
});

// As runBackfill writes: fetched chunks batched to BACKFILL_BATCH_ROWS per COPY and commit.
const batches: RangeRow[][] = [[]];
for (const chunk of chunks) {
  batches.at(-1)!.push(...chunk);
  if (batches.at(-1)!.length >= BACKFILL_BATCH_ROWS) batches.push([]);
}
if (batches.at(-1)!.length === 0) batches.pop();

Deno.bench({
  name: `insertRangeRows of ${total} rows in backfill batches (${batches.map((b) => b.length).join(" + ")})`,
  group: "backfill write",
  async fn(b) {
    await db.sql`TRUNCATE market_snapshots`;
    b.start();
    const t = performance.now();
    let written = 0;
    for (const batch of batches) written += await insertRangeRows(db.sql, batch);
    rates.writer!.push(total / ((performance.now() - t) / 1000));
    b.end();
    if (written !== total) throw new Error(`wrote ${written} of ${total}`);
  },
});

Deno.bench({
  name: `insertRangeRows of ${total} rows, one call per 90-day chunk (30 x 2,160)`,
  group: "backfill write",
  async fn(b) {
    await db.sql`TRUNCATE market_snapshots`;
    b.start();
    const t = performance.now();
    for (const chunk of chunks) await insertRangeRows(db.sql, chunk);
    rates.perChunk!.push(total / ((performance.now() - t) / 1000));
    b.end();
  },
});

globalThis.addEventListener("unload", () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const psql = median(rates.psql!);
  const writer = median(rates.writer!);
  console.log(
    `backfill write rate: writer ${Math.round(writer)} rows/s, psql \\copy ${
      Math.round(psql)
    } rows/s, ratio ${(writer / psql).toFixed(2)} (target >= 0.8)`,
  );
});
globalThis.addEventListener("beforeunload", () => {
  Deno.removeSync(csvPath);
});
