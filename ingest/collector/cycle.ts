/**
 * One collection cycle: the top TRACK_TOP coins and TRACK_COINS in every VS_CURRENCIES, plus /global;
 * validated record by record, written idempotently in one transaction, candles refreshed, and the
 * run recorded in ingest_runs.
 */
import type { Sql } from "../db/connect.ts";
import type { StorageMode } from "../db/migrate.ts";
import type { Logger } from "../log.ts";
import { type CallLog, type CoinGeckoClient, CoinGeckoError } from "../coingecko/client.ts";
import { IDS_PER_REQUEST, MARKETS_PAGE_SIZE } from "../coingecko/plans.ts";
import {
  type GlobalSnapshot,
  type MarketCoin,
  parseGlobal,
  parseMarkets,
  parseSimplePrice,
  type Rejection,
} from "../coingecko/schemas.ts";
import type { Budget } from "./budget.ts";
import { Run, type RunStatus } from "./runs.ts";
import {
  type CoinRow,
  type Inserted,
  insertGlobal,
  insertSnapshots,
  refreshTouched,
  type SnapshotRow,
  upsertCoins,
} from "./writer.ts";

export interface CycleSettings {
  trackTop: number;
  trackCoins: readonly string[];
  vsCurrencies: readonly string[];
  budget: Pick<Budget, "strategy">;
}

export interface CycleContext {
  sql: Sql;
  mode: StorageMode;
  client: CoinGeckoClient;
  settings: CycleSettings;
  log: Logger;
}

export interface CycleResult {
  runId: number | null;
  status: RunStatus;
  rowsWritten: number;
  rowsRejected: number;
  durationMs: number;
  /** Calls by outcome (HTTP status, "timeout", "network"). */
  calls: Record<string, number>;
  error?: string;
}

/** What a cycle fetched and validated, before writing. */
/** The fields every log line about a finished cycle carries (the CLI's and the service's alike). */
export function cycleLogFields(result: CycleResult): Record<string, unknown> {
  return {
    run_id: result.runId,
    status: result.status,
    rows_written: result.rowsWritten,
    rows_rejected: result.rowsRejected,
    duration_ms: result.durationMs,
    api_calls: result.calls,
  };
}

export interface Collected {
  coins: CoinRow[];
  snapshots: SnapshotRow[];
  global: GlobalSnapshot | null;
  rejections: Rejection[];
  /** Calls that failed (after retries): the cycle is partial. */
  errors: string[];
}

const errorText = (error: unknown) => error instanceof Error ? error.message : String(error);

export function snapshotFromMarket(coin: MarketCoin, vsCurrency: string): SnapshotRow {
  return {
    time: coin.last_updated,
    coin_id: coin.id,
    vs_currency: vsCurrency,
    price: coin.current_price,
    market_cap: coin.market_cap,
    fully_diluted_valuation: coin.fully_diluted_valuation,
    total_volume: coin.total_volume,
    circulating_supply: coin.circulating_supply,
    total_supply: coin.total_supply,
    max_supply: coin.max_supply,
    market_cap_rank: coin.market_cap_rank,
    high_24h: coin.high_24h,
    low_24h: coin.low_24h,
    price_change_pct_1h: coin.price_change_percentage_1h_in_currency,
    price_change_pct_24h: coin.price_change_percentage_24h_in_currency ?? coin.price_change_percentage_24h,
    price_change_pct_7d: coin.price_change_percentage_7d_in_currency,
    price_change_pct_30d: coin.price_change_percentage_30d_in_currency,
    price_change_pct_1y: coin.price_change_percentage_1y_in_currency,
    ath: coin.ath,
    ath_change_pct: coin.ath_change_percentage,
    ath_date: coin.ath_date,
    atl: coin.atl,
    atl_change_pct: coin.atl_change_percentage,
    atl_date: coin.atl_date,
  };
}

function emptySnapshot(coinId: string, vs: string, time: Date, price: number): SnapshotRow {
  return {
    time,
    coin_id: coinId,
    vs_currency: vs,
    price,
    market_cap: null,
    fully_diluted_valuation: null,
    total_volume: null,
    circulating_supply: null,
    total_supply: null,
    max_supply: null,
    market_cap_rank: null,
    high_24h: null,
    low_24h: null,
    price_change_pct_1h: null,
    price_change_pct_24h: null,
    price_change_pct_7d: null,
    price_change_pct_30d: null,
    price_change_pct_1y: null,
    ath: null,
    ath_change_pct: null,
    ath_date: null,
    atl: null,
    atl_change_pct: null,
    atl_date: null,
  };
}

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * The tracked coins in one currency through /coins/markets: the top pages (stopping at an empty or
 * short page), then TRACK_COINS not among them by id. Failed calls are collected, not thrown.
 */
async function marketsFor(
  client: CoinGeckoClient,
  settings: CycleSettings,
  vs: string,
  calls: CallLog,
  out: Collected,
  onlyIds?: readonly string[],
): Promise<MarketCoin[]> {
  const seen = new Set<string>();
  const coins: MarketCoin[] = [];
  const take = (body: unknown) => {
    try {
      const parsed = parseMarkets(body, seen);
      out.rejections.push(
        ...parsed.rejections.map((r) =>
          vs === settings.vsCurrencies[0] ? r : { ...r, reason: `${vs}: ${r.reason}` }
        ),
      );
      coins.push(...parsed.coins);
      return parsed.coins.length + parsed.rejections.length;
    } catch (error) {
      out.errors.push(errorText(error));
      return 0;
    }
  };
  let ids: readonly string[];
  if (onlyIds) {
    ids = onlyIds;
  } else {
    const perPage = Math.min(MARKETS_PAGE_SIZE, Math.max(1, settings.trackTop));
    const pages = Math.ceil(settings.trackTop / perPage);
    for (let page = 1; page <= pages; page++) {
      let received = 0;
      try {
        received = take(await client.markets({ vsCurrency: vs, page, perPage }, calls));
      } catch (error) {
        out.errors.push(errorText(error));
        break; // later pages would shift anyway; the next cycle tries again
      }
      if (received < perPage) break; // empty or short page: the end of the list
    }
    if (coins.length > settings.trackTop) coins.length = settings.trackTop;
    ids = settings.trackCoins.filter((id) => !seen.has(id));
  }
  for (const batch of chunk(ids, IDS_PER_REQUEST)) {
    try {
      take(await client.markets({ vsCurrency: vs, ids: batch, perPage: IDS_PER_REQUEST }, calls));
    } catch (error) {
      out.errors.push(errorText(error));
      continue;
    }
    for (const id of batch) {
      if (!seen.has(id)) {
        out.rejections.push({
          coin_id: id,
          reason: `${vs}: not returned by /coins/markets (unknown or inactive id)`,
        });
      }
    }
  }
  return coins;
}

/** Fetch and validate everything a cycle stores. Never throws for API trouble: errors are collected. */
export async function collect(
  client: CoinGeckoClient,
  settings: CycleSettings,
  calls: CallLog,
): Promise<Collected> {
  const out: Collected = { coins: [], snapshots: [], global: null, rejections: [], errors: [] };
  const [primary, ...extras] = settings.vsCurrencies;
  const primaryCoins = await marketsFor(client, settings, primary!, calls, out);
  out.coins = primaryCoins.map((c) => ({ id: c.id, symbol: c.symbol, name: c.name, image_url: c.image }));
  out.snapshots = primaryCoins.map((c) => snapshotFromMarket(c, primary!));
  const ids = primaryCoins.map((c) => c.id);
  const known = new Set(ids);

  if (extras.length > 0 && ids.length > 0) {
    if (settings.budget.strategy === "simple_price") {
      for (const batch of chunk(ids, IDS_PER_REQUEST)) {
        try {
          const parsed = parseSimplePrice(
            await client.simplePrice({ ids: batch, vsCurrencies: extras }, calls),
            extras,
          );
          out.rejections.push(...parsed.rejections);
          for (const q of parsed.quotes) {
            if (!known.has(q.coin_id)) continue; // only coins whose metadata this cycle has
            const row = emptySnapshot(q.coin_id, q.vs_currency, q.time, q.price);
            row.market_cap = q.market_cap;
            row.total_volume = q.total_volume;
            row.price_change_pct_24h = q.price_change_pct_24h;
            out.snapshots.push(row);
          }
        } catch (error) {
          out.errors.push(errorText(error));
        }
      }
    } else {
      for (const vs of extras) {
        for (const coin of await marketsFor(client, settings, vs, calls, out, ids)) {
          if (known.has(coin.id)) out.snapshots.push(snapshotFromMarket(coin, vs));
        }
      }
    }
  }

  try {
    const parsed = parseGlobal(await client.global(calls));
    out.global = parsed.snapshot;
    out.rejections.push(...parsed.rejections);
  } catch (error) {
    out.errors.push(errorText(error));
  }
  return out;
}

/** Write a cycle's data in one transaction, then refresh the candles of the rows that were new. */
export async function writeCollected(
  sql: Sql,
  mode: StorageMode,
  data: Collected,
  seenAt: Date,
): Promise<{ inserted: Inserted[]; globalWritten: boolean }> {
  const result = await sql.begin(async (tx) => {
    await upsertCoins(tx as unknown as Sql, data.coins, seenAt);
    const inserted = await insertSnapshots(tx as unknown as Sql, data.snapshots);
    const globalWritten = data.global ? await insertGlobal(tx as unknown as Sql, data.global) : false;
    return { inserted: [...inserted], globalWritten };
  });
  await refreshTouched(sql, mode, result.inserted);
  return result;
}

/** Run one cycle end to end. Never throws: a failure is a 'failed' result with a one-line error. */
export async function runCycle(ctx: CycleContext): Promise<CycleResult> {
  const started = Date.now();
  let run: Run;
  try {
    run = await Run.start(ctx.sql, "cycle");
  } catch (error) {
    const message = `database unreachable: ${errorText(error)}`;
    return {
      runId: null,
      status: "failed",
      rowsWritten: 0,
      rowsRejected: 0,
      durationMs: Date.now() - started,
      calls: {},
      error: message,
    };
  }
  let status: RunStatus = "ok";
  let error: string | undefined;
  try {
    const data = await collect(ctx.client, ctx.settings, run.calls);
    run.reject(data.rejections);
    const { inserted, globalWritten } = await writeCollected(ctx.sql, ctx.mode, data, new Date());
    run.rowsWritten = inserted.length + (globalWritten ? 1 : 0);
    const fetchedCoins = data.coins.length;
    if (data.errors.length > 0) {
      status = fetchedCoins > 0 ? "partial" : "failed";
      error = data.errors.length === 1
        ? data.errors[0]
        : `${data.errors[0]} (and ${data.errors.length - 1} more)`;
    }
    run.details = {
      duration_ms: Date.now() - started,
      coins: fetchedCoins,
      snapshots_received: data.snapshots.length,
      snapshots_written: inserted.length,
      snapshots_unchanged: data.snapshots.length - inserted.length,
      global_written: globalWritten,
      vs_currencies: ctx.settings.vsCurrencies,
      strategy: ctx.settings.budget.strategy,
    };
  } catch (caught) {
    status = "failed";
    error = caught instanceof CoinGeckoError ? caught.message : `write failed: ${errorText(caught)}`;
    run.details = { duration_ms: Date.now() - started };
  }
  try {
    await run.finish(ctx.sql, status, error);
  } catch (caught) {
    status = "failed";
    error ??= `database unreachable: ${errorText(caught)}`;
  }
  return {
    runId: run.id,
    status,
    rowsWritten: run.rowsWritten,
    rowsRejected: run.rowsRejected,
    durationMs: Date.now() - started,
    calls: run.calls.counts,
    ...(error !== undefined ? { error } : {}),
  };
}
