/**
 * Gap repair: holes in the collected series (downtime, failed cycles, a database outage) are found
 * from the stored rows themselves and filled from /coins/{id}/market_chart/range, within the call
 * budget. Every gap CoinGecko answered for is recorded in internal.gap_repairs (so one it cannot fill
 * is not asked again), and each repair run in ingest_runs (kind 'gap_repair').
 */
import type { Sql } from "../db/connect.ts";
import type { StorageMode } from "../db/migrate.ts";
import { refreshCandles } from "../db/candles.ts";
import type { Logger } from "../log.ts";
import type { CoinGeckoClient } from "../coingecko/client.ts";
import { MAX_RANGE_DAYS } from "../coingecko/plans.ts";
import { parseRange } from "../coingecko/schemas.ts";
import { Run, type RunStatus } from "./runs.ts";
import { insertRangeRows } from "./writer.ts";

const DAY = 86_400_000;

export interface Gap {
  coin_id: string;
  vs_currency: string;
  /** The last observation before the hole and the first after it. */
  from: Date;
  to: Date;
}

export interface GapOptions {
  /** Consecutive observations further apart than this are a gap. */
  thresholdMs: number;
  /** How far back to look. */
  lookbackMs: number;
  now?: Date;
  limit?: number;
}

/** Gaps newer than the lookback that were not handled before, newest first. */
export async function findGaps(sql: Sql, options: GapOptions): Promise<Gap[]> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - options.lookbackMs);
  return await sql<Gap[]>`
    SELECT s.coin_id, s.vs_currency, s.prev_time AS "from", s.time AS "to"
    FROM (
      SELECT coin_id, vs_currency, time, lag(time) OVER (PARTITION BY coin_id, vs_currency ORDER BY time) AS prev_time
      FROM market_snapshots
      WHERE time >= ${since.toISOString()}::timestamptz AND time <= ${now.toISOString()}::timestamptz
    ) s
    WHERE s.time - s.prev_time > ${`${Math.round(options.thresholdMs / 1000)} seconds`}::interval
      AND NOT EXISTS (
        SELECT 1 FROM internal.gap_repairs g
        WHERE g.coin_id = s.coin_id AND g.vs_currency = s.vs_currency AND g.gap_from = s.prev_time)
    ORDER BY s.time DESC, s.coin_id, s.vs_currency
    LIMIT ${options.limit ?? 10_000}`;
}

export interface RepairContext {
  sql: Sql;
  mode: StorageMode;
  client: CoinGeckoClient;
  log: Logger;
}

export interface RepairResult {
  runId: number | null;
  gapsFound: number;
  gapsRepaired: number;
  rows: number;
  /** Gaps left for a later run because the call budget was spent. */
  deferred: number;
  status: RunStatus | "none";
}

/** Find gaps and repair as many as `maxCalls` allows (one range call per gap). */
export async function repairGaps(
  ctx: RepairContext,
  options: GapOptions & { maxCalls: number; historyDays: number | null },
): Promise<RepairResult> {
  const now = options.now ?? new Date();
  const historyStart = options.historyDays === null
    ? -Infinity
    : now.getTime() - options.historyDays * DAY + 3_600_000;
  const gaps = (await findGaps(ctx.sql, options)).filter((g) => g.to.getTime() > historyStart);
  if (gaps.length === 0) {
    return { runId: null, gapsFound: 0, gapsRepaired: 0, rows: 0, deferred: 0, status: "none" };
  }

  const run = await Run.start(ctx.sql, "gap_repair");
  const repaired: { coin_id: string; vs_currency: string; from: string; to: string; rows: number }[] = [];
  const errors: string[] = [];
  let rows = 0;
  let calls = 0;
  for (const gap of gaps) {
    if (calls >= options.maxCalls) break;
    // At most 90 days per call (hourly points), ending at the gap's end; never before the history limit.
    const to = gap.to.getTime();
    const from = Math.max(gap.from.getTime(), to - MAX_RANGE_DAYS * DAY, historyStart);
    calls++;
    let body: unknown;
    try {
      body = await ctx.client.range(
        { coinId: gap.coin_id, vsCurrency: gap.vs_currency, from, to },
        run.calls,
      );
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
      continue;
    }
    try {
      const parsed = parseRange(gap.coin_id, body);
      run.reject(parsed.rejections, parsed.rejected);
      // Only points strictly inside the hole: the observations at its edges are already stored.
      const inside = parsed.points.filter((p) => p.time > gap.from.getTime() && p.time < to);
      const written = await insertRangeRows(
        ctx.sql,
        inside.map((p) => ({
          time: new Date(p.time),
          coin_id: gap.coin_id,
          vs_currency: gap.vs_currency,
          price: p.price,
          market_cap: p.marketCap,
          total_volume: p.totalVolume,
        })),
      );
      if (written > 0) {
        await refreshCandles(ctx.sql, ctx.mode, new Date(inside[0]!.time), new Date(inside.at(-1)!.time), [
          gap.coin_id,
        ]);
      }
      await ctx.sql`
        INSERT INTO internal.gap_repairs (coin_id, vs_currency, gap_from, gap_to, rows_written)
        VALUES (${gap.coin_id}, ${gap.vs_currency}, ${gap.from.toISOString()}::timestamptz,
          ${gap.to.toISOString()}::timestamptz, ${written})
        ON CONFLICT (coin_id, vs_currency, gap_from) DO UPDATE SET
          gap_to = excluded.gap_to, rows_written = excluded.rows_written, repaired_at = now()`;
      rows += written;
      repaired.push({
        coin_id: gap.coin_id,
        vs_currency: gap.vs_currency,
        from: gap.from.toISOString(),
        to: gap.to.toISOString(),
        rows: written,
      });
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  run.rowsWritten = rows;
  run.details = {
    gaps_found: gaps.length,
    gaps_repaired: repaired.length,
    rows,
    deferred: gaps.length - calls,
    coins: [...new Set(repaired.map((g) => g.coin_id))],
    gaps: repaired.slice(0, 100),
  };
  const status: RunStatus = errors.length === 0 ? "ok" : repaired.length > 0 ? "partial" : "failed";
  const error = errors.length === 0
    ? undefined
    : errors.length === 1
    ? errors[0]
    : `${errors[0]} (and ${errors.length - 1} more)`;
  await run.finish(ctx.sql, status, error);
  ctx.log.info("gap repair", {
    gaps_found: gaps.length,
    gaps_repaired: repaired.length,
    rows,
    deferred: gaps.length - calls,
    ...(error ? { error } : {}),
  });
  return {
    runId: run.id,
    gapsFound: gaps.length,
    gapsRepaired: repaired.length,
    rows,
    deferred: gaps.length - calls,
    status,
  };
}
