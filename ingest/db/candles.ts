/** Keep the candles fresh after a write, in either storage mode. */
import type { Sql } from "./connect.ts";
import type { StorageMode } from "./migrate.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Buckets are aligned like time_bucket's: on Monday 2000-01-03 00:00 UTC (weeks start on Mondays). */
const ORIGIN_MS = Date.UTC(2000, 0, 3);
/** Session advisory lock serializing our own refreshes (the same key as internal.refresh_candles). */
const REFRESH_LOCK = "internal.refresh_candles";
/**
 * In refresh order; endOffset as in the refresh policies (sql/206_long_candles.timescaledb.sql). Only the hourly
 * level reads the raw rows; each other one reads the level below it, which keeps its history.
 */
const AGGREGATES = [
  { view: "candles_1h", bucket: HOUR_MS, endOffset: 5 * MINUTE_MS, readsRaw: true },
  { view: "candles_1d", bucket: DAY_MS, endOffset: 10 * MINUTE_MS, readsRaw: false },
  { view: "candles_1w", bucket: 7 * DAY_MS, endOffset: 10 * MINUTE_MS, readsRaw: false },
  { view: "candles_4w", bucket: 28 * DAY_MS, endOffset: 10 * MINUTE_MS, readsRaw: false },
] as const;

const floorTo = (ms: number, bucket: number) => ORIGIN_MS + Math.floor((ms - ORIGIN_MS) / bucket) * bucket;
const ceilTo = (ms: number, bucket: number) => ORIGIN_MS + Math.ceil((ms - ORIGIN_MS) / bucket) * bucket;

/**
 * Refresh the candle buckets overlapping [from, to] after rows in that range were written.
 *
 * Plain PostgreSQL: re-aggregate exactly those buckets (for `coins` only, when given).
 *
 * TimescaleDB: buckets newer than the aggregates' watermark are computed at query time (real-time
 * aggregation), and the policies refresh the recent past; a write older than that (backfill, gap
 * repair) needs an explicit refresh, which TimescaleDB only allows outside a transaction and only for
 * whole buckets, so the window is widened to bucket boundaries and stops before the hot bucket.
 * A refresh recomputes its buckets for ALL coins from its source: for the hourly level, the raw rows, which
 * the retention policy may already have dropped (erasing the other coins' candles), so that window never
 * reaches behind the retention horizon (plus one bucket of margin, as chunks are dropped whole). The daily,
 * weekly and 4-week levels read the level below, kept for ever: clipped the same way, with their longer
 * buckets, they lost up to two days, two weeks or eight weeks at the start of a backfilled history.
 * TimescaleDB rejects overlapping refreshes ("due to a concurrent refresh"): ours take turns through a
 * session advisory lock, and one that meets a refresh policy's job waits and tries again.
 */
export async function refreshCandles(
  sql: Sql,
  mode: StorageMode,
  from: Date,
  to: Date,
  coins?: readonly string[],
): Promise<void> {
  if (mode === "postgres") {
    await sql`SELECT internal.refresh_candles(${from}, ${to}, ${coins ? [...coins] : null}::text[])`;
    return;
  }
  const [horizon] = await sql<{ ms: number | null }[]>`
    SELECT (extract(epoch FROM now() - value::interval) * 1000)::float8 AS ms
    FROM internal.settings WHERE key = 'raw_retention'`;
  const now = Date.now();
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(hashtext(${REFRESH_LOCK}))`;
    for (const { view, bucket, endOffset, readsRaw } of AGGREGATES) {
      const oldestSafe = !readsRaw || horizon?.ms == null ? -Infinity : ceilTo(horizon.ms, bucket) + bucket;
      const start = Math.max(floorTo(from.getTime(), bucket), oldestSafe);
      const end = Math.min(ceilTo(to.getTime() + 1, bucket), floorTo(now - endOffset, bucket));
      if (end <= start) continue; // all in the real-time part, or all behind the retention horizon
      await againWhileRefreshing(() =>
        conn`CALL refresh_continuous_aggregate(${view}::regclass, ${new Date(
          start,
        )}::timestamptz, ${new Date(end)}::timestamptz)`
      );
    }
  } finally {
    await conn`SELECT pg_advisory_unlock(hashtext(${REFRESH_LOCK}))`.catch(() => {});
    conn.release();
  }
}

/**
 * Runs `run` (a refresh, or a migration that refreshes) again, with a growing pause, while it meets another
 * refresh of the same continuous aggregate: TimescaleDB rejects overlapping refreshes ("due to a concurrent
 * refresh"), and the refresh policies' jobs run whenever they are due. Up to 20 attempts.
 */
export async function againWhileRefreshing(run: () => PromiseLike<unknown>): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      if (attempt >= 20 || !(error instanceof Error) || !/concurrent refresh/.test(error.message)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
