/**
 * Backfill: history from /coins/{id}/market_chart/range, in chunks of at most 90 days (hourly points),
 * within the plan's history limit. A request becomes a job with its chunks in internal.backfill_*;
 * chunks are marked done as soon as their rows are written (in batches), so a rerun after a crash
 * continues with the chunks not done and refetches nothing that was finished. Writes are idempotent.
 */
import type { Sql } from "../db/connect.ts";
import type { StorageMode } from "../db/migrate.ts";
import { refreshCandles } from "../db/candles.ts";
import type { Logger } from "../log.ts";
import { type CoinGeckoClient, CoinGeckoError } from "../coingecko/client.ts";
import { IDS_PER_REQUEST, MARKETS_PAGE_SIZE, MAX_RANGE_DAYS } from "../coingecko/plans.ts";
import { type MarketCoin, parseMarkets, parseRange } from "../coingecko/schemas.ts";
import { Run, type RunStatus } from "./runs.ts";
import { insertRangeRows, type RangeRow, upsertCoins } from "./writer.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Rows per bulk write: fetched chunks wait in memory (~10 MB) until this many, then go in one COPY. */
export const BACKFILL_BATCH_ROWS = 50_000;

export class BackfillError extends Error {
  override name = "BackfillError";
}

export interface BackfillContext {
  sql: Sql;
  mode: StorageMode;
  client: CoinGeckoClient;
  log: Logger;
}

export interface BackfillRequest {
  days: number;
  /** The top `top` coins by market cap, plus these ids. */
  top?: number;
  coins?: readonly string[];
  vsCurrencies: readonly string[];
  origin: "cli" | "first_start";
}

export interface PlannedJob {
  jobId: number;
  resumed: boolean;
  chunksTotal: number;
  chunksPending: number;
}

export function jobKey(request: BackfillRequest): string {
  const coins = [...(request.coins ?? [])].sort().join(",");
  return `days=${request.days};top=${request.top ?? 0};coins=${coins};vs=${request.vsCurrencies.join(",")}`;
}

/** Split [from, to] into windows of at most MAX_RANGE_DAYS days, newest first (recent history fills first). */
export function chunkRange(from: number, to: number): [number, number][] {
  const chunks: [number, number][] = [];
  for (let end = to; end > from; end -= MAX_RANGE_DAYS * DAY) {
    chunks.push([Math.max(from, end - MAX_RANGE_DAYS * DAY), end]);
  }
  return chunks;
}

async function resolveCoins(
  ctx: BackfillContext,
  request: BackfillRequest,
  run: Run,
): Promise<MarketCoin[]> {
  const vs = request.vsCurrencies[0]!;
  const seen = new Set<string>();
  const coins: MarketCoin[] = [];
  const top = request.top ?? 0;
  if (top > 0) {
    const perPage = Math.min(MARKETS_PAGE_SIZE, top);
    for (let page = 1; coins.length < top; page++) {
      const parsed = parseMarkets(
        await ctx.client.markets({ vsCurrency: vs, page, perPage }, run.calls),
        seen,
      );
      coins.push(...parsed.coins);
      if (parsed.coins.length + parsed.rejections.length < perPage) break;
    }
    coins.length = Math.min(coins.length, top);
  }
  const ids = (request.coins ?? []).filter((id) => !seen.has(id));
  for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
    const batch = ids.slice(i, i + IDS_PER_REQUEST);
    const parsed = parseMarkets(
      await ctx.client.markets({ vsCurrency: vs, ids: batch, perPage: IDS_PER_REQUEST }, run.calls),
      seen,
    );
    coins.push(...parsed.coins);
  }
  const missing = ids.filter((id) => !seen.has(id));
  if (missing.length > 0) {
    throw new BackfillError(
      `unknown coin id(s) for CoinGecko: ${missing.join(", ")} (see /coins/list for ids)`,
    );
  }
  return coins;
}

/**
 * Find the open job for this request (resume), or create it: resolve the coins, store them, and plan
 * the chunks. Beyond the plan's history limit it stops with a clear message.
 */
export async function planBackfill(
  ctx: BackfillContext,
  request: BackfillRequest,
  now = Date.now(),
): Promise<PlannedJob> {
  const limit = ctx.client.plan.historyDays;
  if (limit !== null && request.days > limit) {
    throw new BackfillError(
      `--days ${request.days} is beyond the ${ctx.client.plan.name} plan's history: CoinGecko serves only the past ${limit} days on it (error 10012): use --days ${limit} or less, or a paid plan`,
    );
  }
  if (!(request.days > 0)) {
    throw new BackfillError(`--days must be a positive number of days, got ${request.days}`);
  }
  const key = jobKey(request);
  const existing = await ctx.sql<{ id: number; total: number; pending: number }[]>`
    SELECT j.id::int AS id, count(c.*)::int AS total, count(c.*) FILTER (WHERE c.done_at IS NULL)::int AS pending
    FROM internal.backfill_jobs j LEFT JOIN internal.backfill_chunks c ON c.job_id = j.id
    WHERE j.key = ${key} AND j.finished_at IS NULL GROUP BY j.id`;
  if (existing[0]) {
    return {
      jobId: existing[0].id,
      resumed: true,
      chunksTotal: existing[0].total,
      chunksPending: existing[0].pending,
    };
  }

  const run = await Run.start(ctx.sql, "backfill");
  let coins: MarketCoin[];
  try {
    coins = await resolveCoins(ctx, request, run);
  } catch (error) {
    await run.finish(ctx.sql, "failed", error instanceof Error ? error.message : String(error)).catch(
      () => {},
    );
    throw error;
  }
  // Keep a margin inside the history limit: CoinGecko measures "the past 365 days" from its own clock.
  const earliest = limit === null ? -Infinity : now - limit * DAY + HOUR;
  const from = Math.max(now - request.days * DAY, earliest);
  const windows = chunkRange(from, now);
  const chunks = coins.flatMap((coin) =>
    request.vsCurrencies.flatMap((vs) => windows.map(([a, b]) => ({ coin: coin.id, vs, from: a, to: b })))
  );
  const jobId = await ctx.sql.begin(async (tx) => {
    const sql = tx as unknown as Sql;
    await upsertCoins(
      sql,
      coins.map((c) => ({ id: c.id, symbol: c.symbol, name: c.name, image_url: c.image })),
    );
    const [job] = await sql<{ id: number }[]>`
      INSERT INTO internal.backfill_jobs (key, origin, range_from, range_to)
      VALUES (${key}, ${request.origin}, ${new Date(from).toISOString()}::timestamptz, ${
      new Date(now).toISOString()
    }::timestamptz)
      RETURNING id::int AS id`;
    if (chunks.length > 0) {
      await sql`
        INSERT INTO internal.backfill_chunks (job_id, coin_id, vs_currency, range_from, range_to)
        SELECT ${job!.id}, coin_id, vs, a, b FROM unnest(
          ${chunks.map((c) => c.coin)}::text[], ${chunks.map((c) => c.vs)}::text[],
          ${chunks.map((c) => new Date(c.from).toISOString())}::timestamptz[],
          ${chunks.map((c) => new Date(c.to).toISOString())}::timestamptz[]) AS t(coin_id, vs, a, b)`;
    }
    return job!.id;
  });
  run.details = {
    job_id: jobId,
    origin: request.origin,
    days: request.days,
    coins: coins.length,
    chunks_planned: chunks.length,
  };
  await run.finish(ctx.sql, "ok");
  return { jobId, resumed: false, chunksTotal: chunks.length, chunksPending: chunks.length };
}

export interface BackfillProgress {
  runId: number;
  status: RunStatus;
  chunksDone: number;
  chunksPending: number;
  rows: number;
  finished: boolean;
  error?: string;
}

/**
 * Work through a job's pending chunks until done, out of calls (`maxCalls`), past `deadline`, or
 * CoinGecko stops answering (the rest waits for the next run). A chunk CoinGecko can never serve
 * (404 unknown coin, 401/10012 beyond the history) is marked done with its error so the job can end.
 */
export async function runBackfill(
  ctx: BackfillContext,
  jobId: number,
  options: { maxCalls?: number; deadline?: number; onChunk?: (done: number) => void } = {},
): Promise<BackfillProgress> {
  const run = await Run.start(ctx.sql, "backfill");
  const pending = await ctx.sql<{ coin_id: string; vs_currency: string; range_from: Date; range_to: Date }[]>`
    SELECT coin_id, vs_currency, range_from, range_to FROM internal.backfill_chunks
    WHERE job_id = ${jobId} AND done_at IS NULL ORDER BY range_to DESC, coin_id, vs_currency`;
  let done = 0;
  let calls = 0;
  let error: string | undefined;
  const failed: string[] = [];
  // Candle refreshes are batched per 90-day window: TimescaleDB refreshes whole windows for all coins.
  const touched = new Map<string, { from: number; to: number; coins: Set<string> }>();
  const flush = async () => {
    for (const t of touched.values()) {
      await refreshCandles(ctx.sql, ctx.mode, new Date(t.from), new Date(t.to), [...t.coins]);
    }
    touched.clear();
  };
  // Fetched chunks are written in batches (one COPY and commit per ~50,000 rows: a commit per chunk
  // cost more than the rows), then marked done in the same step.
  type Fetched = { chunk: (typeof pending)[number]; rows: RangeRow[] };
  let batch: Fetched[] = [];
  const writeBatch = async () => {
    if (batch.length === 0) return;
    const written = await insertRangeRows(ctx.sql, batch.flatMap((f) => f.rows));
    await ctx.sql`
      UPDATE internal.backfill_chunks c SET done_at = now(), attempts = attempts + 1, last_error = NULL,
        rows_written = t.n
      FROM unnest(${batch.map((f) => f.chunk.coin_id)}::text[], ${
      batch.map((f) => f.chunk.vs_currency)
    }::text[],
                  ${batch.map((f) => f.chunk.range_from.toISOString())}::timestamptz[],
                  ${batch.map((f) => f.rows.length)}::int[]) AS t(coin_id, vs, range_from, n)
      WHERE c.job_id = ${jobId} AND c.coin_id = t.coin_id AND c.vs_currency = t.vs AND c.range_from = t.range_from`;
    run.rowsWritten += written;
    for (const f of batch) {
      if (f.rows.length === 0) continue;
      const key = `${f.chunk.range_from.getTime()}:${f.chunk.range_to.getTime()}`;
      const first = f.rows[0]!.time.getTime();
      const last = f.rows.at(-1)!.time.getTime();
      const t = touched.get(key) ?? { from: first, to: last, coins: new Set<string>() };
      t.from = Math.min(t.from, first);
      t.to = Math.max(t.to, last);
      t.coins.add(f.chunk.coin_id);
      touched.set(key, t);
    }
    done += batch.length;
    options.onChunk?.(done);
    batch = [];
    await flush();
  };
  let fetched = 0;
  for (const chunk of pending) {
    if (options.maxCalls !== undefined && calls >= options.maxCalls) break;
    if (options.deadline !== undefined && fetched > 0 && Date.now() >= options.deadline) break; // one chunk at least
    const from = chunk.range_from.getTime();
    const to = chunk.range_to.getTime();
    calls++;
    try {
      const body = await ctx.client.range(
        { coinId: chunk.coin_id, vsCurrency: chunk.vs_currency, from, to },
        run.calls,
      );
      const parsed = parseRange(chunk.coin_id, body);
      run.reject(parsed.rejections, parsed.rejected);
      const rows = parsed.points.filter((p) => p.time >= from && p.time <= to).map((p) => ({
        time: new Date(p.time),
        coin_id: chunk.coin_id,
        vs_currency: chunk.vs_currency,
        price: p.price,
        market_cap: p.marketCap,
        total_volume: p.totalVolume,
      }));
      fetched++;
      batch.push({ chunk, rows });
      if (batch.reduce((n, f) => n + f.rows.length, 0) >= BACKFILL_BATCH_ROWS) await writeBatch();
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      const permanent = caught instanceof CoinGeckoError &&
        ["401", "404", "400", "422"].includes(caught.status);
      await ctx.sql`
        UPDATE internal.backfill_chunks SET attempts = attempts + 1, last_error = ${message},
          done_at = ${permanent ? new Date().toISOString() : null}::timestamptz, rows_written = ${
        permanent ? 0 : null
      }
        WHERE job_id = ${jobId} AND coin_id = ${chunk.coin_id} AND vs_currency = ${chunk.vs_currency}
          AND range_from = ${chunk.range_from.toISOString()}::timestamptz`;
      failed.push(`${chunk.coin_id}/${chunk.vs_currency}`);
      if (permanent) {
        done++;
        continue;
      }
      error = message; // CoinGecko is in trouble: stop here, the next run resumes
      break;
    }
  }
  await writeBatch();
  await flush();
  const [left] = await ctx.sql<{ pending: number }[]>`
    SELECT count(*)::int AS pending FROM internal.backfill_chunks WHERE job_id = ${jobId} AND done_at IS NULL`;
  const finished = left!.pending === 0;
  if (finished) {
    await ctx
      .sql`UPDATE internal.backfill_jobs SET finished_at = now() WHERE id = ${jobId} AND finished_at IS NULL`;
  }
  const status: RunStatus = error === undefined && failed.length === 0
    ? "ok"
    : done > 0
    ? "partial"
    : "failed";
  if (error === undefined && failed.length > 0) {
    error = `chunks CoinGecko could not serve: ${failed.slice(0, 10).join(", ")}`;
  }
  run.details = {
    job_id: jobId,
    chunks_done: done,
    chunks_pending: left!.pending,
    rows: run.rowsWritten,
    finished,
  };
  await run.finish(ctx.sql, status, error);
  return {
    runId: run.id,
    status,
    chunksDone: done,
    chunksPending: left!.pending,
    rows: run.rowsWritten,
    finished,
    ...(error !== undefined ? { error } : {}),
  };
}

/** Whether the service should run the first-start backfill: no job was ever planned. */
export async function firstStartDue(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM internal.backfill_jobs) AS any`;
  return !row!.any;
}

/** Open jobs (a crash or a budget stop left chunks): the service continues them. */
export async function openJobs(sql: Sql): Promise<number[]> {
  return (await sql<{ id: number }[]>`
    SELECT id::int AS id FROM internal.backfill_jobs WHERE finished_at IS NULL ORDER BY id`).map((r) => r.id);
}
