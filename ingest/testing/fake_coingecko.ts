/**
 * A fake CoinGecko API for tests, benchmarks and demos: real HTTP on 127.0.0.1 (random port), replaying
 * the recorded bodies of ../shared/coingecko/ and synthesizing /coins/{id}/market_chart/range answers
 * from real daily history (ingest/testing/history.ts) or the recorded hourly weeks of bitcoin and
 * ethereum. Faults can be injected per route, and every request is recorded (headers included) so
 * tests can assert what the client sent.
 *
 *   const fake = await FakeCoinGecko.start();
 *   fake.url                       // "http://127.0.0.1:PORT/api/v3", for COINGECKO_BASE_URL
 *   fake.fault("markets", { kind: "rate_limit", retryAfterSeconds: 1 });
 *   fake.requests                  // what was asked
 *   await fake.close();
 */
import { historyCoinIds, type HistoryPoint, loadHistory } from "./history.ts";

export const RECORDINGS = new URL("../../../shared/coingecko/", import.meta.url);

export type Route = "ping" | "markets" | "global" | "range" | "simple_price";

export type Fault =
  /** 429 with Retry-After (seconds) and a body in one of CoinGecko's throttle shapes. */
  | { kind: "rate_limit"; retryAfterSeconds?: number; body?: "json" | "text" | "html" }
  /** Any status with a given body (JSON, plain text or HTML). */
  | { kind: "status"; status: number; body: string; contentType?: string }
  /** No answer at all until the client gives up (or the server closes). */
  | { kind: "hang" }
  /** Headers and half the body, then nothing. */
  | { kind: "hang_body" }
  /** Answer after a delay. */
  | { kind: "delay"; ms: number }
  /** 200 with the JSON cut in half. */
  | { kind: "truncate" }
  /** Change the JSON body before it is sent: nulls, wrong types, duplicated ids, empty pages. */
  | { kind: "mutate"; mutate: (body: unknown) => unknown };

export interface RecordedRequest {
  route: Route | "unknown";
  path: string;
  query: URLSearchParams;
  headers: Headers;
  at: number;
}

export interface FakeOptions {
  /** /coins/markets rows in USD, largest first (default: the recorded top-250 page of 2023-07-28, then the
   * recorded null-heavy page of the smallest coins). */
  markets?: Record<string, unknown>[];
  /**
   * The fake's "now". When set, every row's last_updated (and /global's updated_at) moves with it, keeping
   * the recorded offsets between rows (the median recorded observation is "now", none is later), so
   * successive cycles see new observations. Unset: recorded times.
   */
  clock?: () => number;
  /** market_chart/range refuses older history with CoinGecko's 401/10012 (default 365; null: no limit). */
  historyLimitDays?: number | null;
  /** Answer 401 unless this header carries this value (to test key handling end to end). */
  requireKey?: { header: string; value: string };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR_2021 = Date.UTC(2021, 0, 1);

function recording(name: string): string {
  return Deno.readTextFileSync(new URL(name, RECORDINGS));
}

export const RECORDED = {
  top250: "coins_markets_usd_per_page250_page1_2023-07-28.json",
  top100_2025: "coins_markets_vs-usd_order-market_cap_desc_per_page-100_page-1_2025-11-02.json",
  nullHeavy:
    "coins_markets_vs-usd_order-market_cap_asc_per_page-250_sparkline-true_pcp-1h_24h_7d_NULL-HEAVY_2023-07-25.json",
  global: "global_2021-05-18.json",
  ping: "ping_TRANSCRIBED_2025-07-21.json",
  rateLimit: "error_429_rate_limit_TRANSCRIBED_2022-09-29.json",
  history10012: "error_401_10012_history-beyond-365d_TRANSCRIBED_2024-03-30.json",
  coinNotFound: "error_404_coin-not-found_TRANSCRIBED_2022-04-07.json",
  incorrectPath: "error_404_incorrect-path_2022-04-26.json",
  missingVsCurrency: "error_422_coins_markets_missing-vs_currency_2021-07-19.json",
  serverError: "error_500_ohlc_missing-params_2021-07-19.json",
} as const;

/** A recorded body parsed (a fresh copy each call). */
export function recordedJson<T = unknown>(name: string): T {
  return JSON.parse(recording(name)) as T;
}

/** The default markets dataset: recorded pages, deduplicated by id, largest first. */
export function defaultMarkets(): Record<string, unknown>[] {
  const rows = [
    ...recordedJson<Record<string, unknown>[]>(RECORDED.top250),
    ...recordedJson<Record<string, unknown>[]>(RECORDED.nullHeavy),
  ];
  const seen = new Set<string>();
  return rows.filter((row) => {
    const id = String(row.id);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

const CLOUDFLARE_HTML = `<!DOCTYPE html>
<html><head><title>Access denied | api.coingecko.com used Cloudflare to restrict access</title></head>
<body><h1>Error 1015</h1><p>You are being rate limited</p></body></html>`;

const MONEY_FIELDS = [
  "current_price",
  "market_cap",
  "fully_diluted_valuation",
  "total_volume",
  "high_24h",
  "low_24h",
  "price_change_24h",
  "market_cap_change_24h",
  "ath",
  "atl",
];

export class FakeCoinGecko {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #faults = new Map<Route, { fault: Fault; remaining: number }[]>();
  readonly #closing = new AbortController();
  readonly #history = new Map<string, HistoryPoint[] | null>();
  readonly #recordedRanges = new Map<string, [number, number][][]>();
  readonly #global: { data: Record<string, unknown> };
  #markets: Record<string, unknown>[];
  #options: FakeOptions;
  #recordedAnchor = 0;

  private constructor(options: FakeOptions) {
    this.#options = options;
    this.#markets = [];
    this.setMarkets(options.markets ?? defaultMarkets());
    this.#global = recordedJson(RECORDED.global);
    for (const coin of ["bitcoin", "ethereum"]) {
      const body = recordedJson<Record<string, [number, number][]>>(
        `coins_${coin}_market_chart_range_vs-usd_7days_hourly_2023-02-19.json`,
      );
      this.#recordedRanges.set(coin, [body.prices!, body.market_caps!, body.total_volumes!]);
    }
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: this.#closing.signal,
      onListen: () => {},
    }, (request) => this.#handle(request));
  }

  static start(options: FakeOptions = {}): Promise<FakeCoinGecko> {
    historyCoinIds(); // unpack the history archive now, not inside the first request's time budget
    return Promise.resolve(new FakeCoinGecko(options));
  }

  /** Base URL up to and including /api/v3. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/api/v3`;
  }

  now(): number {
    return this.#options.clock?.() ?? Date.now();
  }

  setClock(clock: (() => number) | undefined): void {
    this.#options = { ...this.#options, ...(clock ? { clock } : {}) };
    if (!clock) delete this.#options.clock;
  }

  setMarkets(rows: Record<string, unknown>[]): void {
    this.#markets = rows;
    // The anchor is the median observation: recordings hold a few outliers (a coin updated weeks later).
    const times = rows.map((row) => Date.parse(String(row.last_updated))).filter((t) => !Number.isNaN(t));
    times.sort((a, b) => a - b);
    this.#recordedAnchor = times[Math.floor(times.length / 2)] ?? 0;
  }

  /** Inject a fault on a route for the next `times` requests (Infinity: until cleared). */
  fault(route: Route, fault: Fault, times = 1): void {
    const list = this.#faults.get(route) ?? [];
    list.push({ fault, remaining: times });
    this.#faults.set(route, list);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** Requests to one route. */
  requestsTo(route: Route): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await this.#server.finished;
  }

  #takeFault(route: Route): Fault | undefined {
    const list = this.#faults.get(route);
    const entry = list?.find((f) => f.remaining > 0);
    if (!entry) return undefined;
    entry.remaining--;
    return entry.fault;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/api\/v3/, "");
    const route: Route | "unknown" = path === "/ping"
      ? "ping"
      : path === "/coins/markets"
      ? "markets"
      : path === "/global"
      ? "global"
      : path === "/simple/price"
      ? "simple_price"
      : /^\/coins\/[^/]+\/market_chart\/range$/.test(path)
      ? "range"
      : "unknown";
    this.requests.push({ route, path, query: url.searchParams, headers: request.headers, at: Date.now() });
    if (route === "unknown") return json(404, recording(RECORDED.incorrectPath));
    const required = this.#options.requireKey;
    if (required && request.headers.get(required.header) !== required.value) {
      return json(
        401,
        JSON.stringify({ status: { error_code: 10002, error_message: "API Key Missing or invalid" } }),
      );
    }

    const fault = this.#takeFault(route);
    if (fault?.kind === "hang") {
      await this.#untilAborted(request.signal);
      return new Response(null, { status: 503 });
    }
    if (fault?.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.kind === "rate_limit") {
      const body = fault.body === "text"
        ? "Throttled"
        : fault.body === "html"
        ? CLOUDFLARE_HTML
        : recording(RECORDED.rateLimit);
      const type = fault.body === "text"
        ? "text/plain"
        : fault.body === "html"
        ? "text/html"
        : "application/json; charset=utf-8";
      return new Response(body, {
        status: 429,
        headers: { "content-type": type, "retry-after": String(fault.retryAfterSeconds ?? 1) },
      });
    }
    if (fault?.kind === "status") {
      return new Response(fault.body, {
        status: fault.status,
        headers: { "content-type": fault.contentType ?? "application/json; charset=utf-8" },
      });
    }

    let answer: { status: number; body: unknown };
    try {
      answer = this.#answer(route, path, url.searchParams);
    } catch (error) {
      return json(500, JSON.stringify({ status: 500, error: String(error) }));
    }
    const body = fault?.kind === "mutate" && answer.status === 200 ? fault.mutate(answer.body) : answer.body;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    if (fault?.kind === "truncate") return json(200, text.slice(0, Math.floor(text.length / 2)));
    if (fault?.kind === "hang_body") {
      const half = new TextEncoder().encode(text.slice(0, Math.floor(text.length / 2)));
      const signal = request.signal;
      const closing = this.#closing.signal;
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(half);
          await new Promise<void>((resolve) => {
            signal.addEventListener("abort", () => resolve(), { once: true });
            closing.addEventListener("abort", () => resolve(), { once: true });
          });
          controller.close();
        },
      });
      return new Response(stream, { status: 200, headers: { "content-type": "application/json" } });
    }
    return json(answer.status, text);
  }

  #untilAborted(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || this.#closing.signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
      this.#closing.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  #answer(route: Route, path: string, query: URLSearchParams): { status: number; body: unknown } {
    switch (route) {
      case "ping":
        return { status: 200, body: recording(RECORDED.ping) };
      case "global":
        return { status: 200, body: this.#globalBody() };
      case "markets":
        return this.#marketsBody(query);
      case "simple_price":
        return this.#simplePriceBody(query);
      case "range":
        return this.#rangeBody(decodeURIComponent(path.split("/")[2]!), query);
    }
  }

  /** How much to move recorded times so the median recorded observation is "now" (none is ever later). */
  #shift(): number {
    return this.#options.clock ? this.#options.clock() - this.#recordedAnchor : 0;
  }

  #shifted(time: number): number {
    return this.#options.clock ? Math.min(time + this.#shift(), this.#options.clock()) : time;
  }

  #rate(vs: string): number | null {
    const caps = this.#global.data.total_market_cap as Record<string, number>;
    const usd = caps.usd!;
    return vs === "usd" ? 1 : typeof caps[vs] === "number" ? caps[vs]! / usd : null;
  }

  #row(row: Record<string, unknown>, rate: number): Record<string, unknown> {
    const out: Record<string, unknown> = { ...row };
    if (rate !== 1) {
      for (const field of MONEY_FIELDS) {
        if (typeof out[field] === "number") out[field] = (out[field] as number) * rate;
      }
    }
    if (this.#options.clock && typeof row.last_updated === "string") {
      const t = Date.parse(row.last_updated);
      if (!Number.isNaN(t)) out.last_updated = new Date(this.#shifted(t)).toISOString();
    }
    return out;
  }

  #globalBody(): unknown {
    const body = structuredClone(this.#global);
    if (this.#options.clock) {
      // /global is cached for 10 minutes: its updated_at moves in 10-minute steps.
      body.data.updated_at = Math.floor(this.#options.clock() / 600_000) * 600;
    }
    return body;
  }

  #marketsBody(query: URLSearchParams): { status: number; body: unknown } {
    const vs = query.get("vs_currency");
    if (!vs) return { status: 422, body: recording(RECORDED.missingVsCurrency) };
    const rate = this.#rate(vs.toLowerCase());
    if (rate === null) return { status: 400, body: { error: "invalid vs_currency" } };
    const perPage = Math.min(250, Math.max(1, Number(query.get("per_page") ?? 100) || 100));
    const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
    let rows = this.#markets;
    const ids = query.get("ids");
    if (ids) {
      const wanted = new Set(ids.split(",").map((id) => id.trim()));
      rows = rows.filter((row) => wanted.has(String(row.id)));
    }
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    return { status: 200, body: slice.map((row) => this.#row(row, rate)) };
  }

  #simplePriceBody(query: URLSearchParams): { status: number; body: unknown } {
    const ids = (query.get("ids") ?? "").split(",").map((id) => id.trim()).filter(Boolean);
    const currencies = (query.get("vs_currencies") ?? "").split(",").map((c) => c.trim()).filter(Boolean);
    if (!ids.length || !currencies.length) return { status: 422, body: { error: "Missing parameter ids" } };
    const byId = new Map(this.#markets.map((row) => [String(row.id), row]));
    const body: Record<string, Record<string, number | null>> = {};
    for (const id of [...ids].sort()) {
      const row = byId.get(id);
      if (!row) continue; // unknown ids are silently dropped, like CoinGecko does
      const entry: Record<string, number | null> = {};
      for (const vs of currencies) {
        const rate = this.#rate(vs);
        if (rate === null || typeof row.current_price !== "number") continue;
        entry[vs] = row.current_price * rate;
        entry[`${vs}_market_cap`] = typeof row.market_cap === "number" ? row.market_cap * rate : null;
        entry[`${vs}_24h_vol`] = typeof row.total_volume === "number" ? row.total_volume * rate : null;
        entry[`${vs}_24h_change`] = (row.price_change_percentage_24h as number | null) ?? null;
      }
      const updated = Date.parse(String(row.last_updated));
      if (!Number.isNaN(updated)) entry.last_updated_at = Math.floor(this.#shifted(updated) / 1000);
      body[id] = entry;
    }
    return { status: 200, body };
  }

  #coinHistory(coinId: string): HistoryPoint[] | null {
    if (!this.#history.has(coinId)) {
      try {
        this.#history.set(coinId, loadHistory(coinId));
      } catch {
        this.#history.set(coinId, null);
      }
    }
    return this.#history.get(coinId) ?? null;
  }

  #rangeBody(coinId: string, query: URLSearchParams): { status: number; body: unknown } {
    const vs = query.get("vs_currency");
    if (!vs) return { status: 422, body: { error: "Missing parameter vs_currency" } };
    const rate = this.#rate(vs.toLowerCase());
    if (rate === null) return { status: 400, body: { error: "invalid vs_currency" } };
    const from = Number(query.get("from")) * 1000;
    const to = Number(query.get("to")) * 1000;
    if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
      return { status: 422, body: { error: "Missing parameter from/to" } };
    }
    const now = this.now();
    const limit = this.#options.historyLimitDays === undefined ? 365 : this.#options.historyLimitDays;
    if (limit !== null && from < now - limit * DAY - 60_000) {
      return { status: 401, body: recording(RECORDED.history10012) };
    }
    const history = this.#coinHistory(coinId);
    const recorded = this.#recordedRanges.get(coinId);
    if (!history && !recorded) return { status: 404, body: recording(RECORDED.coinNotFound) };

    // CoinGecko's granularity: within a day of now 5-minutely, up to 90 days hourly, beyond daily.
    const span = to - from;
    const step = span <= DAY && to > now - DAY ? 5 * 60_000 : span <= 90 * DAY ? HOUR : DAY;
    const prices: [number, number][] = [];
    const caps: [number, number][] = [];
    const volumes: [number, number][] = [];
    const inRecording = recorded && recorded[0]!.length > 0 && from <= recorded[0]!.at(-1)![0] &&
      to >= recorded[0]![0]![0];
    if (inRecording && rate === 1) {
      const [p, c, v] = recorded;
      for (const [list, out] of [[p!, prices], [c!, caps], [v!, volumes]] as const) {
        for (const point of list) if (point[0] >= from && point[0] <= to) out.push(point);
      }
    } else if (history) {
      // Real points are not aligned to the hour: offset them by 37 s.
      for (let t = Math.ceil(from / step) * step + 37_000; t <= to; t += step) {
        const point = interpolate(history, t);
        if (!point) continue;
        prices.push([t, point.price * rate]);
        if (point.marketCap !== null) caps.push([t, point.marketCap * rate]);
        if (point.totalVolume !== null) volumes.push([t, point.totalVolume * rate]);
      }
    }
    return { status: 200, body: { prices, market_caps: caps, total_volumes: volumes } };
  }
}

function json(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": status === 200 ? "public, max-age=30" : "no-cache",
    },
  });
}

/**
 * The daily history's value at any time: the time is folded into 2021 (the history's year) and the
 * price interpolated linearly between the two surrounding days.
 */
export function interpolate(history: HistoryPoint[], time: number): HistoryPoint | null {
  if (history.length === 0) return null;
  const yearMs = 365 * DAY;
  const folded = YEAR_2021 + (((time - YEAR_2021) % yearMs) + yearMs) % yearMs;
  let lo = 0;
  let hi = history.length - 1;
  if (folded <= history[0]!.time) return { ...history[0]!, time };
  if (folded >= history[hi]!.time) return { ...history[hi]!, time };
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (history[mid]!.time <= folded) lo = mid;
    else hi = mid;
  }
  const a = history[lo]!;
  const b = history[hi]!;
  const f = (folded - a.time) / (b.time - a.time);
  const mix = (x: number | null, y: number | null) => x === null || y === null ? x ?? y : x + (y - x) * f;
  return {
    time,
    price: a.price + (b.price - a.price) * f,
    marketCap: mix(a.marketCap, b.marketCap),
    totalVolume: mix(a.totalVolume, b.totalVolume),
  };
}
