/**
 * zod schemas for the CoinGecko endpoints the collector uses, and per-record parsing: one malformed
 * coin (or point) is rejected with a reason, and the valid records of the same response are kept.
 *
 * Per the official OpenAPI spec almost every numeric field can be null; unknown fields are accepted
 * (loose objects), since CoinGecko adds fields over time.
 */
import { z } from "zod";

const num = z.number().nullish().transform((v) => v ?? null);
const date = z.string().nullish().transform((v, ctx) => {
  if (v === null || v === undefined) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: "custom", message: `not a date: '${v.slice(0, 40)}'` });
    return z.NEVER;
  }
  return new Date(t);
});

export const MarketCoinSchema = z.looseObject({
  id: z.string().min(1).max(200),
  symbol: z.string().max(200),
  name: z.string().max(500),
  image: z.string().nullish().transform((v) => v ?? null),
  // A snapshot without a price is useless: current_price is required although the spec allows null.
  current_price: z.number().nonnegative(),
  market_cap: num,
  market_cap_rank: z.number().int().nullish().transform((v) => v ?? null),
  fully_diluted_valuation: num,
  total_volume: num,
  high_24h: num,
  low_24h: num,
  price_change_percentage_24h: num,
  circulating_supply: num,
  total_supply: num,
  max_supply: num,
  ath: num,
  ath_change_percentage: num,
  ath_date: date,
  atl: num,
  atl_change_percentage: num,
  atl_date: date,
  price_change_percentage_1h_in_currency: num,
  price_change_percentage_24h_in_currency: num,
  price_change_percentage_7d_in_currency: num,
  price_change_percentage_30d_in_currency: num,
  price_change_percentage_1y_in_currency: num,
  // The observation time: two cycles that see the same last_updated store it once.
  last_updated: z.string().transform((v, ctx) => {
    const t = Date.parse(v);
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: "custom", message: `not a date: '${v.slice(0, 40)}'` });
      return z.NEVER;
    }
    return new Date(t);
  }),
});
export type MarketCoin = z.output<typeof MarketCoinSchema>;

/** The price_change_percentage values requested from /coins/markets. */
export const MARKETS_PRICE_CHANGE = "1h,24h,7d,30d,1y";

export const GlobalSchema = z.looseObject({
  data: z.looseObject({
    active_cryptocurrencies: z.number().int().nullish().transform((v) => v ?? null),
    markets: z.number().int().nullish().transform((v) => v ?? null),
    total_market_cap: z.record(z.string(), z.number().nullable()).nullish(),
    total_volume: z.record(z.string(), z.number().nullable()).nullish(),
    market_cap_percentage: z.record(z.string(), z.number().nullable()).nullish(),
    market_cap_change_percentage_24h_usd: num,
    volume_change_percentage_24h_usd: num,
    updated_at: z.number().int().positive(),
  }),
});

export interface GlobalSnapshot {
  time: Date;
  active_cryptocurrencies: number | null;
  markets: number | null;
  market_cap_change_pct_24h_usd: number | null;
  volume_change_pct_24h_usd: number | null;
  total_market_cap: Record<string, number>;
  total_volume: Record<string, number>;
  market_cap_percentage: Record<string, number>;
}

export const PingSchema = z.looseObject({ gecko_says: z.string() });

const RangeSchema = z.looseObject({
  prices: z.array(z.unknown()),
  market_caps: z.array(z.unknown()).nullish(),
  total_volumes: z.array(z.unknown()).nullish(),
});

/** A rejected record: which coin (null for a response-level record such as /global) and why. */
export interface Rejection {
  coin_id: string | null;
  reason: string;
}

/** zod's first issue as `path: message`, one line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".");
  return `${path ? `${path}: ` : ""}${issue.message}`.replace(/\s+/g, " ").slice(0, 300);
}

/** Best-effort id of a raw record, for the rejection report. */
function idOf(item: unknown): string | null {
  if (item && typeof item === "object" && "id" in item) {
    const id = (item as { id: unknown }).id;
    if (typeof id === "string" && id) return id.slice(0, 200);
  }
  return null;
}

/** Top-level shape check: a response that is not even the right container is one error, not N rejections. */
export class ResponseShapeError extends Error {
  override name = "ResponseShapeError";
}

/**
 * Validate a /coins/markets page record by record. Duplicated ids (CoinGecko's pages shift while one
 * pages through them) are rejected after the first; `seen` carries ids across pages of one cycle.
 */
export function parseMarkets(
  body: unknown,
  seen: Set<string> = new Set(),
): { coins: MarketCoin[]; rejections: Rejection[] } {
  if (!Array.isArray(body)) {
    throw new ResponseShapeError(`/coins/markets: expected an array, got ${typeof body}`);
  }
  const coins: MarketCoin[] = [];
  const rejections: Rejection[] = [];
  for (const item of body) {
    const result = MarketCoinSchema.safeParse(item);
    if (!result.success) {
      rejections.push({ coin_id: idOf(item), reason: describeIssue(result.error) });
      continue;
    }
    if (seen.has(result.data.id)) {
      rejections.push({ coin_id: result.data.id, reason: "duplicate id in the response" });
      continue;
    }
    seen.add(result.data.id);
    coins.push(result.data);
  }
  return { coins, rejections };
}

const finiteMap = (map: Record<string, number | null> | null | undefined): Record<string, number> =>
  Object.fromEntries(
    Object.entries(map ?? {}).filter((e): e is [string, number] => typeof e[1] === "number"),
  );

/** Validate /global; an invalid body is one rejection (coin_id null). */
export function parseGlobal(body: unknown): { snapshot: GlobalSnapshot | null; rejections: Rejection[] } {
  const result = GlobalSchema.safeParse(body);
  if (!result.success) {
    return {
      snapshot: null,
      rejections: [{ coin_id: null, reason: `/global: ${describeIssue(result.error)}` }],
    };
  }
  const d = result.data.data;
  return {
    snapshot: {
      time: new Date(d.updated_at * 1000),
      active_cryptocurrencies: d.active_cryptocurrencies,
      markets: d.markets,
      market_cap_change_pct_24h_usd: d.market_cap_change_percentage_24h_usd,
      volume_change_pct_24h_usd: d.volume_change_percentage_24h_usd,
      total_market_cap: finiteMap(d.total_market_cap),
      total_volume: finiteMap(d.total_volume),
      market_cap_percentage: finiteMap(d.market_cap_percentage),
    },
    rejections: [],
  };
}

export interface RangePoint {
  time: number; // ms
  price: number;
  marketCap: number | null;
  totalVolume: number | null;
}

function isPoint(p: unknown): p is [number, number | null] {
  return Array.isArray(p) && p.length >= 2 && typeof p[0] === "number" && Number.isFinite(p[0]) &&
    (p[1] === null || (typeof p[1] === "number" && Number.isFinite(p[1])));
}

/**
 * Validate /coins/{id}/market_chart/range. The three arrays are joined on their timestamps (they can
 * differ in length); points are sorted and deduplicated. Points without a usable price are rejected
 * and counted, summarised in one rejection per response.
 */
export function parseRange(
  coinId: string,
  body: unknown,
): { points: RangePoint[]; rejected: number; rejections: Rejection[] } {
  const result = RangeSchema.safeParse(body);
  if (!result.success) {
    throw new ResponseShapeError(`/coins/${coinId}/market_chart/range: ${describeIssue(result.error)}`);
  }
  const side = (list: unknown[] | null | undefined) => {
    const map = new Map<number, number>();
    for (const p of list ?? []) if (isPoint(p) && p[1] !== null) map.set(p[0], p[1]);
    return map;
  };
  const caps = side(result.data.market_caps);
  const volumes = side(result.data.total_volumes);
  const byTime = new Map<number, RangePoint>();
  let rejected = 0;
  let firstReason = "";
  for (const p of result.data.prices) {
    if (!isPoint(p) || p[1] === null || p[1] < 0) {
      rejected++;
      firstReason ||= `bad price point ${JSON.stringify(p)?.slice(0, 60)}`;
      continue;
    }
    const time = Math.round(p[0]);
    byTime.set(time, {
      time,
      price: p[1],
      marketCap: caps.get(p[0]) ?? null,
      totalVolume: volumes.get(p[0]) ?? null,
    });
  }
  const points = [...byTime.values()].sort((a, b) => a.time - b.time);
  const rejections = rejected > 0
    ? [{ coin_id: coinId, reason: `${rejected} range point(s) rejected, first: ${firstReason}` }]
    : [];
  return { points, rejected, rejections };
}

export interface SimplePriceQuote {
  coin_id: string;
  vs_currency: string;
  time: Date;
  price: number;
  market_cap: number | null;
  total_volume: number | null;
  price_change_pct_24h: number | null;
}

const SimplePriceCoinSchema = z.looseObject({
  last_updated_at: z.number().int().positive(),
}).catchall(z.number().nullable()); // every other field is a number or null

/** Validate /simple/price (keyed by coin id, then currency) for the requested currencies. */
export function parseSimplePrice(
  body: unknown,
  currencies: readonly string[],
): { quotes: SimplePriceQuote[]; rejections: Rejection[] } {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ResponseShapeError(`/simple/price: expected an object keyed by coin id`);
  }
  const quotes: SimplePriceQuote[] = [];
  const rejections: Rejection[] = [];
  for (const [coinId, raw] of Object.entries(body)) {
    const result = SimplePriceCoinSchema.safeParse(raw);
    if (!result.success) {
      rejections.push({ coin_id: coinId, reason: `/simple/price: ${describeIssue(result.error)}` });
      continue;
    }
    const entry = result.data as Record<string, number | null>;
    const time = new Date(result.data.last_updated_at * 1000);
    for (const vs of currencies) {
      const price = entry[vs];
      if (typeof price !== "number" || price < 0) {
        rejections.push({ coin_id: coinId, reason: `/simple/price: no ${vs} price` });
        continue;
      }
      quotes.push({
        coin_id: coinId,
        vs_currency: vs,
        time,
        price,
        market_cap: entry[`${vs}_market_cap`] ?? null,
        total_volume: entry[`${vs}_24h_vol`] ?? null,
        price_change_pct_24h: entry[`${vs}_24h_change`] ?? null,
      });
    }
  }
  return { quotes, rejections };
}
