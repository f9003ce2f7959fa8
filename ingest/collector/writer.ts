/**
 * Writes: batched and idempotent (the unique key (coin_id, vs_currency, time) makes a repeated
 * observation a no-op), then the candles of the touched buckets are refreshed.
 *
 * Live cycles insert through UNNEST (one statement for a whole cycle). Backfill and gap repair use
 * COPY, the bulk path (see insertRangeRows).
 */
import type { Sql } from "../db/connect.ts";
import { refreshCandles } from "../db/candles.ts";
import type { StorageMode } from "../db/migrate.ts";
import type { GlobalSnapshot } from "../coingecko/schemas.ts";
import { reserveWithin } from "./pg.ts";

export interface CoinRow {
  id: string;
  symbol: string;
  name: string;
  image_url: string | null;
}

/** A market_snapshots row; fields a source does not have are null. */
export interface SnapshotRow {
  time: Date;
  coin_id: string;
  vs_currency: string;
  price: number;
  market_cap: number | null;
  fully_diluted_valuation: number | null;
  total_volume: number | null;
  circulating_supply: number | null;
  total_supply: number | null;
  max_supply: number | null;
  market_cap_rank: number | null;
  high_24h: number | null;
  low_24h: number | null;
  price_change_pct_1h: number | null;
  price_change_pct_24h: number | null;
  price_change_pct_7d: number | null;
  price_change_pct_30d: number | null;
  price_change_pct_1y: number | null;
  ath: number | null;
  ath_change_pct: number | null;
  ath_date: Date | null;
  atl: number | null;
  atl_change_pct: number | null;
  atl_date: Date | null;
}

/** A market_chart/range point (source 'range'): price, market cap and volume only. */
export interface RangeRow {
  time: Date;
  coin_id: string;
  vs_currency: string;
  price: number;
  market_cap: number | null;
  total_volume: number | null;
}

const NUMERIC_COLUMNS = [
  "market_cap",
  "fully_diluted_valuation",
  "total_volume",
  "circulating_supply",
  "total_supply",
  "max_supply",
  "high_24h",
  "low_24h",
  "price_change_pct_1h",
  "price_change_pct_24h",
  "price_change_pct_7d",
  "price_change_pct_30d",
  "price_change_pct_1y",
  "ath",
  "ath_change_pct",
  "atl",
  "atl_change_pct",
] as const;

const iso = (d: Date | null) => d === null ? null : d.toISOString();

/** Insert or refresh coins (symbol, name and image can change; first_seen stays). */
export async function upsertCoins(
  sql: Sql,
  coins: readonly CoinRow[],
  seenAt: Date = new Date(),
): Promise<void> {
  if (coins.length === 0) return;
  await sql`
    INSERT INTO coins (id, symbol, name, image_url, first_seen, last_seen)
    SELECT id, symbol, name, image_url, ${iso(seenAt)}::timestamptz, ${iso(seenAt)}::timestamptz
    FROM unnest(${coins.map((c) => c.id)}::text[], ${coins.map((c) => c.symbol)}::text[],
                ${coins.map((c) => c.name)}::text[], ${coins.map((c) => c.image_url)}::text[])
      AS t(id, symbol, name, image_url)
    ON CONFLICT (id) DO UPDATE SET
      symbol = excluded.symbol, name = excluded.name,
      image_url = coalesce(excluded.image_url, coins.image_url),
      last_seen = greatest(coins.last_seen, excluded.last_seen)`;
}

/** The rows a write inserted (not the ones already stored), to refresh exactly their candles. */
export interface Inserted {
  coin_id: string;
  time: Date;
}

/** Insert live snapshots; rows already stored (same coin, currency and time) are skipped. */
export async function insertSnapshots(sql: Sql, rows: readonly SnapshotRow[]): Promise<Inserted[]> {
  if (rows.length === 0) return [];
  const col = <K extends keyof SnapshotRow>(key: K) => rows.map((r) => r[key]);
  const numeric = NUMERIC_COLUMNS.map((name) => col(name) as (number | null)[]);
  return await sql<Inserted[]>`
    INSERT INTO market_snapshots (time, coin_id, vs_currency, price, ${
    sql.unsafe(NUMERIC_COLUMNS.join(", "))
  },
      market_cap_rank, ath_date, atl_date, source)
    SELECT time, coin_id, vs_currency, price, ${
    sql.unsafe(NUMERIC_COLUMNS.map((_, i) => `n${i}`).join(", "))
  },
      rank, ath_date, atl_date, 'markets'
    FROM unnest(
      ${rows.map((r) => r.time.toISOString())}::timestamptz[], ${col("coin_id")}::text[],
      ${col("vs_currency")}::text[], ${col("price")}::float8[],
      ${numeric[0]!}::float8[], ${numeric[1]!}::float8[], ${numeric[2]!}::float8[], ${numeric[3]!}::float8[],
      ${numeric[4]!}::float8[], ${numeric[5]!}::float8[], ${numeric[6]!}::float8[], ${numeric[7]!}::float8[],
      ${numeric[8]!}::float8[], ${numeric[9]!}::float8[], ${numeric[10]!}::float8[], ${numeric[
    11
  ]!}::float8[],
      ${numeric[12]!}::float8[], ${numeric[13]!}::float8[], ${numeric[14]!}::float8[], ${numeric[
    15
  ]!}::float8[],
      ${numeric[16]!}::float8[], ${col("market_cap_rank")}::int[],
      ${rows.map((r) => iso(r.ath_date))}::timestamptz[], ${rows.map((r) => iso(r.atl_date))}::timestamptz[]
    ) AS t(time, coin_id, vs_currency, price, ${
    sql.unsafe(NUMERIC_COLUMNS.map((_, i) => `n${i}`).join(", "))
  }, rank, ath_date, atl_date)
    ON CONFLICT ON CONSTRAINT market_snapshots_key DO NOTHING
    RETURNING coin_id, time`;
}

/** Insert a /global snapshot; false when that updated_at was stored before. */
export async function insertGlobal(sql: Sql, g: GlobalSnapshot): Promise<boolean> {
  const inserted = await sql`
    INSERT INTO global_snapshots (time, active_cryptocurrencies, markets, market_cap_change_pct_24h_usd,
      volume_change_pct_24h_usd, total_market_cap, total_volume, market_cap_percentage)
    VALUES (${iso(g.time)}::timestamptz, ${g.active_cryptocurrencies}, ${g.markets},
      ${g.market_cap_change_pct_24h_usd}, ${g.volume_change_pct_24h_usd}, ${sql.json(g.total_market_cap)},
      ${sql.json(g.total_volume)}, ${sql.json(g.market_cap_percentage)})
    ON CONFLICT (time) DO NOTHING
    RETURNING 1`;
  return inserted.length > 0;
}

function copyText(rows: readonly RangeRow[]): string {
  const num = (v: number | null) => v === null ? "\\N" : String(v);
  let text = "";
  for (const r of rows) {
    // coin ids and currencies are validated ([a-z0-9._-]); nothing to escape in COPY's text format.
    text += `${r.time.toISOString()}\t${r.coin_id}\t${r.vs_currency}\t${r.price}\t${num(r.market_cap)}\t${
      num(r.total_volume)
    }\n`;
  }
  return text;
}

/**
 * COPY `text` with `statement` on a reserved connection, inside a transaction of its own, and commit.
 * Returns false, rolled back, when the COPY hit the unique key. postgres.js loses an error that arrives
 * after the COPY stream ended (its 'finish' then never fires), so the outcome is read from a query
 * queued behind the COPY: it fails if the COPY aborted the transaction.
 */
async function copyCommitted(
  sql: Sql,
  steps: { before?: string; copy: string; after?: string },
  text: string,
): Promise<number | false> {
  const conn = await reserveWithin(sql, 30_000);
  try {
    // No WAL flush wait per chunk (it dominated: ~40 ms a commit here). Safe: the chunk is marked done
    // by a later, synchronous commit, and WAL is flushed in order, so "done" is never durable without
    // its rows; at worst a crash loses the last chunk's rows and the chunk is fetched again.
    await conn`BEGIN`;
    await conn`SET LOCAL synchronous_commit = off`;
    try {
      if (steps.before) await conn.unsafe(steps.before);
      const stream = await conn.unsafe(steps.copy).writable();
      let failed: unknown = null;
      const finished = new Promise<boolean>((resolve) => {
        stream.on("finish", () => resolve(true));
        stream.on("error", (error: unknown) => {
          failed = error;
          resolve(false);
        });
      });
      // Large writes in slices keep the socket's buffer bounded.
      for (let i = 0; i < text.length; i += 1 << 20) stream.write(text.slice(i, i + (1 << 20)));
      stream.end();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        finished,
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 2_000))),
      ]);
      clearTimeout(timer);
      if (ended !== true) {
        // No 'finish': the COPY failed after the stream ended, or is slow. A query queued behind it
        // tells: it fails (25P02) if the COPY aborted the transaction. Until the stream has handed its
        // end to the connection, postgres.js refuses other queries (COPY_IN_PROGRESS, client-side).
        for (let attempt = 0;; attempt++) {
          try {
            await conn`SELECT 1`;
            break;
          } catch (error) {
            if ((error as { code?: string }).code !== "COPY_IN_PROGRESS" || attempt > 5_000) throw error;
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        }
      }
      if (failed) throw failed;
      const count = steps.after ? (await conn.unsafe(steps.after)).count : -1;
      await conn`COMMIT`;
      return count;
    } catch (error) {
      await conn`ROLLBACK`.catch(() => {});
      const code = (error as { code?: string }).code;
      if (code === UNIQUE_VIOLATION || code === ABORTED_TRANSACTION) return false;
      throw error;
    }
  } finally {
    conn.release();
  }
}

const UNIQUE_VIOLATION = "23505";
const ABORTED_TRANSACTION = "25P02";

/**
 * Bulk-insert range points (source 'range'). The fast path COPYs straight into market_snapshots, which
 * is all a fresh backfill chunk needs. When some rows exist already (a chunk written just before a
 * crash, a live observation at the same instant) the COPY aborts on the unique key, and the rows go
 * through a staging table and INSERT ... SELECT ... ON CONFLICT DO NOTHING instead.
 * Returns how many rows were new.
 */
export async function insertRangeRows(sql: Sql, rows: readonly RangeRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const text = copyText(rows);
  const direct = await copyCommitted(sql, {
    copy:
      "COPY market_snapshots (time, coin_id, vs_currency, price, market_cap, total_volume, source) FROM STDIN",
  }, text.replaceAll("\n", "\trange\n"));
  if (direct !== false) return rows.length;
  const staged = await copyCommitted(sql, {
    before: `CREATE TEMPORARY TABLE IF NOT EXISTS range_staging (
      time timestamptz, coin_id text, vs_currency text, price float8, market_cap float8, total_volume float8
    ) ON COMMIT DELETE ROWS`,
    copy: "COPY range_staging (time, coin_id, vs_currency, price, market_cap, total_volume) FROM STDIN",
    after: `INSERT INTO market_snapshots (time, coin_id, vs_currency, price, market_cap, total_volume, source)
      SELECT time, coin_id, vs_currency, price, market_cap, total_volume, 'range' FROM range_staging
      ON CONFLICT ON CONSTRAINT market_snapshots_key DO NOTHING`,
  }, text);
  if (staged === false) throw new Error("staging COPY failed on a unique key it does not have");
  return staged;
}

const HOUR_MS = 3_600_000;

/**
 * Refresh the candles for inserted rows. Rows are grouped by hour so that one stale coin (an old
 * last_updated) does not widen the window for every coin: each group refreshes its own buckets.
 */
export async function refreshTouched(
  sql: Sql,
  mode: StorageMode,
  inserted: readonly Inserted[],
): Promise<void> {
  const groups = new Map<number, { from: number; to: number; coins: Set<string> }>();
  for (const row of inserted) {
    const t = row.time.getTime();
    const hour = Math.floor(t / HOUR_MS);
    const group = groups.get(hour) ?? { from: t, to: t, coins: new Set<string>() };
    group.from = Math.min(group.from, t);
    group.to = Math.max(group.to, t);
    group.coins.add(row.coin_id);
    groups.set(hour, group);
  }
  for (const group of groups.values()) {
    await refreshCandles(sql, mode, new Date(group.from), new Date(group.to), [...group.coins]);
  }
}
