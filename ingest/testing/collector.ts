/** Test helpers: a client pointed at the fake CoinGecko with short timeouts and backoff. */
import { type ClientOptions, CoinGeckoClient } from "../coingecko/client.ts";
import { type PlanName, PLANS } from "../coingecko/plans.ts";
import { unlimited } from "../coingecko/rate_limiter.ts";
import { createLogger, type Logger } from "../log.ts";

export function testClient(
  baseUrl: string,
  options: Partial<ClientOptions> & { planName?: PlanName } = {},
): CoinGeckoClient {
  const { planName, ...rest } = options;
  return new CoinGeckoClient({
    plan: PLANS[planName ?? "public"],
    baseUrl,
    limiter: unlimited(),
    timeoutMs: 2_000,
    maxRetries: 2,
    backoffBaseMs: 20,
    backoffMaxMs: 100,
    ...rest,
  });
}

/** A logger that keeps its lines, for asserting on them. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger("debug", (line) => lines.push(line)), { lines });
}
