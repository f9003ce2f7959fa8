/**
 * CoinGecko plans: where to call, how to authenticate, and how much we may call.
 *
 * The limits are deliberately the low end of what CoinGecko publishes (they changed many times and
 * "vary depending on traffic", see ../shared/reference/coingecko-api.md §3): the collector must never
 * cause a 429 in normal operation, so it plans against the floor.
 */
export type PlanName = "public" | "demo" | "pro";

export interface Plan {
  name: PlanName;
  baseUrl: string;
  /** Header that carries the API key; null for the keyless public API. */
  keyHeader: string | null;
  /** Calls per minute the client-side limiter allows. */
  callsPerMinute: number;
  /** Monthly call credits; null when the plan has no monthly quota (keyless: per-IP limits only). */
  monthlyCalls: number | null;
  /** How far back market_chart/range may reach; null for no limit the client enforces. */
  historyDays: number | null;
  /** Shortest default schedule interval: CoinGecko caches /coins/markets 45-60 s, polling faster buys nothing. */
  minIntervalMinutes: number;
}

export const PLANS: Record<PlanName, Plan> = {
  // Keyless: IP-based, 5-15 calls/min observed since 2024; shared with everything else on the IP.
  public: {
    name: "public",
    baseUrl: "https://api.coingecko.com/api/v3",
    keyHeader: null,
    callsPerMinute: 5,
    monthlyCalls: null,
    historyDays: 365,
    minIntervalMinutes: 5,
  },
  // Demo: 10,000 calls a month; "~30 calls per minute" (older docs) to 100 (newer): plan for 30.
  demo: {
    name: "demo",
    baseUrl: "https://api.coingecko.com/api/v3",
    keyHeader: "x-cg-demo-api-key",
    callsPerMinute: 30,
    monthlyCalls: 10_000,
    historyDays: 365,
    minIntervalMinutes: 5,
  },
  // Paid plans: the smallest (Basic) has 250 calls/min and 100,000 calls a month; larger plans have more.
  pro: {
    name: "pro",
    baseUrl: "https://pro-api.coingecko.com/api/v3",
    keyHeader: "x-cg-pro-api-key",
    callsPerMinute: 250,
    monthlyCalls: 100_000,
    historyDays: null,
    minIntervalMinutes: 1,
  },
};

/** Hourly points come back for ranges of 2-90 days: backfill and repair ask for at most this much at once. */
export const MAX_RANGE_DAYS = 90;
/** /coins/markets returns at most this many rows per page. */
export const MARKETS_PAGE_SIZE = 250;
/** Ids per /coins/markets?ids= or /simple/price?ids= request (keeps URLs around 4 KB). */
export const IDS_PER_REQUEST = 250;
