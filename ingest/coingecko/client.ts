/**
 * CoinGecko HTTP client: plan-aware base URL and key header, a client-side rate limiter, timeouts,
 * retries with exponential backoff and jitter on timeouts, network errors and 5xx, and Retry-After on
 * 429. Error bodies are often not JSON (plain `Throttled`, CDN HTML pages): they become a one-line
 * CoinGeckoError with the status, never a parse crash. The API key is sent as a header only and is
 * scrubbed from every message.
 */
import type { Plan } from "./plans.ts";
import { RateLimiter, sleep } from "./rate_limiter.ts";

export type Endpoint = "ping" | "markets" | "global" | "range" | "simple_price";

/** Counts calls by outcome: the HTTP status, or "timeout" / "network". */
export class CallLog {
  readonly counts: Record<string, number> = {};
  record(status: string): void {
    this.counts[status] = (this.counts[status] ?? 0) + 1;
  }
  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

export class CoinGeckoError extends Error {
  override name = "CoinGeckoError";
  constructor(
    message: string,
    readonly endpoint: Endpoint,
    /** HTTP status, or "timeout" / "network" / "invalid_json". */
    readonly status: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  plan: Plan;
  baseUrl: string;
  apiKey?: string | undefined;
  limiter?: RateLimiter;
  /** Per attempt, headers and body included. */
  timeoutMs?: number;
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Without Retry-After, wait this long after a 429. */
  defaultRetryAfterMs?: number;
  /** A Retry-After longer than this fails the call instead of blocking the cycle. */
  maxRetryAfterMs?: number;
  /** Every call's outcome, for metrics. */
  onCall?: (endpoint: Endpoint, status: string) => void;
  /** Retries and throttling, for logs. */
  onRetry?: (info: { endpoint: Endpoint; status: string; attempt: number; waitMs: number }) => void;
  userAgent?: string;
}

const USER_AGENT = "crypto-observatory/1.0 (+self-hosted collector)";

/** Strip markup and whitespace from an error body and shorten it: one readable line. */
export function summarizeBody(text: string): string {
  let summary = text;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const status = (json.status ?? (json.error as Record<string, unknown> | undefined)?.status) as
      | Record<string, unknown>
      | undefined;
    const message = status?.error_message ?? (typeof json.error === "string" ? json.error : undefined);
    if (typeof message === "string") {
      summary = status?.error_code ? `${status.error_code} ${message}` : message;
    }
  } catch {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
    summary = title ? `HTML page: ${title}` : text.replace(/<[^>]*>/g, " ");
  }
  summary = summary.replace(/\s+/g, " ").trim();
  return summary.length > 160 ? `${summary.slice(0, 157)}...` : summary || "(empty body)";
}

/** Retry-After as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export class CoinGeckoClient {
  readonly plan: Plan;
  readonly baseUrl: string;
  readonly limiter: RateLimiter;
  readonly #apiKey: string | undefined;
  readonly #options: Required<
    Pick<
      ClientOptions,
      | "timeoutMs"
      | "maxRetries"
      | "backoffBaseMs"
      | "backoffMaxMs"
      | "defaultRetryAfterMs"
      | "maxRetryAfterMs"
    >
  >;
  readonly #onCall: ClientOptions["onCall"];
  readonly #onRetry: ClientOptions["onRetry"];
  readonly #userAgent: string;

  constructor(options: ClientOptions) {
    this.plan = options.plan;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.limiter = options.limiter ?? new RateLimiter({ callsPerMinute: options.plan.callsPerMinute });
    this.#options = {
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      defaultRetryAfterMs: options.defaultRetryAfterMs ?? 60_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 180_000,
    };
    this.#onCall = options.onCall;
    this.#onRetry = options.onRetry;
    this.#userAgent = options.userAgent ?? USER_AGENT;
  }

  /** Remove the key from any text that could reach a log, an error or a metric. */
  redact(text: string): string {
    return this.#apiKey ? text.replaceAll(this.#apiKey, "<redacted>") : text;
  }

  #headers(): Headers {
    const headers = new Headers({ accept: "application/json", "user-agent": this.#userAgent });
    if (this.plan.keyHeader && this.#apiKey) headers.set(this.plan.keyHeader, this.#apiKey);
    return headers;
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#options.backoffMaxMs, this.#options.backoffBaseMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2); // "equal jitter": spread out, never zero
  }

  /**
   * GET `path` and parse its JSON body. `calls` (the current run's log) and the onCall hook see every
   * attempt's outcome.
   */
  async get(
    endpoint: Endpoint,
    path: string,
    query: Record<string, string> = {},
    calls?: CallLog,
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ""}`;
    const label = `GET ${path}`;
    const record = (status: string) => {
      calls?.record(status);
      this.#onCall?.(endpoint, status);
    };
    let lastError = "";
    let lastStatus = "network";
    for (let attempt = 0; attempt <= this.#options.maxRetries; attempt++) {
      await this.limiter.acquire();
      let response: Response;
      let text: string;
      // A timer cleared as soon as the body is read (AbortSignal.timeout would keep the signal, and the
      // request and response it references, alive for the whole timeout).
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new DOMException("timed out", "TimeoutError")),
        this.#options.timeoutMs,
      );
      try {
        response = await fetch(url, { headers: this.#headers(), signal: controller.signal });
        text = await response.text(); // under the same timeout: a body that hangs is a timeout too
      } catch (error) {
        const timedOut = controller.signal.aborted;
        lastStatus = timedOut ? "timeout" : "network";
        lastError = timedOut
          ? `no answer within ${this.#options.timeoutMs} ms`
          : this.redact(error instanceof Error ? error.message : String(error)).split("\n")[0]!;
        record(lastStatus);
        if (attempt < this.#options.maxRetries) {
          const waitMs = this.#backoff(attempt);
          this.#onRetry?.({ endpoint, status: lastStatus, attempt: attempt + 1, waitMs });
          await sleep(waitMs);
        }
        continue;
      } finally {
        clearTimeout(timer);
      }
      const status = String(response.status);
      record(status);
      if (response.ok) {
        try {
          return JSON.parse(text);
        } catch (error) {
          throw new CoinGeckoError(
            `${label}: HTTP ${status} with a body that is not valid JSON (${
              error instanceof Error ? error.message : String(error)
            }; ${text.length} bytes)`,
            endpoint,
            "invalid_json",
          );
        }
      }
      lastStatus = status;
      lastError = `HTTP ${status}: ${this.redact(summarizeBody(text))}`;
      if (response.status === 429) {
        const waitMs = parseRetryAfter(response.headers.get("retry-after")) ??
          this.#options.defaultRetryAfterMs;
        this.limiter.pause(waitMs);
        if (waitMs > this.#options.maxRetryAfterMs) {
          throw new CoinGeckoError(
            `${label}: rate limited, Retry-After ${
              Math.round(waitMs / 1000)
            } s is too long to wait (${lastError})`,
            endpoint,
            status,
          );
        }
        if (attempt < this.#options.maxRetries) {
          this.#onRetry?.({ endpoint, status, attempt: attempt + 1, waitMs });
          continue; // the limiter waits out the pause before the next attempt
        }
      } else if (response.status >= 500) {
        if (attempt < this.#options.maxRetries) {
          const waitMs = this.#backoff(attempt);
          this.#onRetry?.({ endpoint, status, attempt: attempt + 1, waitMs });
          await sleep(waitMs);
        }
      } else {
        throw new CoinGeckoError(`${label} failed: ${lastError}`, endpoint, status);
      }
    }
    throw new CoinGeckoError(
      `${label} failed after ${this.#options.maxRetries + 1} attempts: ${lastError}`,
      endpoint,
      lastStatus,
    );
  }

  ping(calls?: CallLog): Promise<unknown> {
    return this.get("ping", "/ping", {}, calls);
  }

  /** One page of /coins/markets, by market cap, or for the given ids. */
  markets(
    params: { vsCurrency: string; page?: number; perPage?: number; ids?: readonly string[] },
    calls?: CallLog,
  ): Promise<unknown> {
    const query: Record<string, string> = {
      vs_currency: params.vsCurrency,
      order: "market_cap_desc",
      per_page: String(params.perPage ?? 250),
      page: String(params.page ?? 1),
      price_change_percentage: "1h,24h,7d,30d,1y",
      precision: "full",
    };
    if (params.ids) query.ids = params.ids.join(",");
    return this.get("markets", "/coins/markets", query, calls);
  }

  global(calls?: CallLog): Promise<unknown> {
    return this.get("global", "/global", {}, calls);
  }

  /** /coins/{id}/market_chart/range; from/to in ms, sent as UNIX seconds. */
  range(
    params: { coinId: string; vsCurrency: string; from: number; to: number },
    calls?: CallLog,
  ): Promise<unknown> {
    return this.get("range", `/coins/${encodeURIComponent(params.coinId)}/market_chart/range`, {
      vs_currency: params.vsCurrency,
      // Rounded inward: a window of exactly 90 days must not become 90 days and a second (daily points).
      from: String(Math.ceil(params.from / 1000)),
      to: String(Math.floor(params.to / 1000)),
      precision: "full",
    }, calls);
  }

  simplePrice(
    params: { ids: readonly string[]; vsCurrencies: readonly string[] },
    calls?: CallLog,
  ): Promise<unknown> {
    return this.get("simple_price", "/simple/price", {
      ids: params.ids.join(","),
      vs_currencies: params.vsCurrencies.join(","),
      include_market_cap: "true",
      include_24hr_vol: "true",
      include_24hr_change: "true",
      include_last_updated_at: "true",
      precision: "full",
    }, calls);
  }
}
