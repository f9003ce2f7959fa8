/** Keep the candles fresh after a write, in either storage mode. */
import type { Sql } from "./connect.ts";
import type { StorageMode } from "./migrate.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Refresh the candle buckets overlapping [from, to] after rows in that range were written.
 *
 * Plain PostgreSQL: re-aggregate exactly those buckets (for `coins` only, when given).
 * TimescaleDB: buckets newer than the aggregates' watermark are computed at query time (real-time
 * aggregation), and the policies refresh the recent past; a write older than that (backfill, gap
 * repair) needs an explicit refresh, which TimescaleDB only allows outside a transaction and only for
 * whole buckets, so the window is widened to bucket boundaries and stops before the hot bucket.
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
  const now = Date.now();
  for (
    const [view, size, endOffset] of [["candles_1h", HOUR_MS, HOUR_MS], [
      "candles_1d",
      DAY_MS,
      DAY_MS,
    ]] as const
  ) {
    const start = Math.floor(from.getTime() / size) * size;
    const end = Math.min(
      Math.ceil((to.getTime() + 1) / size) * size,
      Math.floor((now - endOffset) / size) * size,
    );
    if (end <= start) continue; // all in the real-time part
    await sql`CALL refresh_continuous_aggregate(${view}::regclass, ${new Date(
      start,
    )}::timestamptz, ${new Date(end)}::timestamptz)`;
  }
}
