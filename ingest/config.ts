/**
 * Configuration from the environment, validated with zod at startup. A wrong value stops the service
 * with one line naming the variable and what is expected; the API key never appears in it.
 */
import { Cron } from "croner";
import { z } from "zod";
import { DEFAULT_DATABASE_URL } from "./db/connect.ts";
import type { ModeSetting } from "./db/migrate.ts";
import type { LogLevel } from "./log.ts";
import { type Plan, PLANS } from "./coingecko/plans.ts";
import { type Budget, BudgetError, planBudget } from "./collector/budget.ts";

export interface Config {
  databaseUrl: string;
  plan: Plan;
  /** Undefined for the keyless public plan. */
  apiKey: string | undefined;
  baseUrl: string;
  trackTop: number;
  trackCoins: string[];
  vsCurrencies: string[];
  /** The schedule in force (configured or the plan's default) and what it costs. */
  budget: Budget;
  httpPort: number;
  logLevel: LogLevel;
  storageMode: ModeSetting;
  rawRetentionDays: number;
  backfillDays: number;
  backfillTop: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const integer = (name: string, min: number, max: number, fallback: number) =>
  z.string().optional().transform((text, ctx) => {
    if (text === undefined || text.trim() === "") return fallback;
    const value = Number(text.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      ctx.addIssue({ code: "custom", message: `${name} must be an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return value;
  });

const COIN_ID = /^[a-z0-9][a-z0-9._-]*$/;
const CURRENCY = /^[a-z]{2,10}$/;

const list = (name: string, pattern: RegExp, what: string, fallback: string[]) =>
  z.string().optional().transform((text, ctx) => {
    if (text === undefined || text.trim() === "") return fallback;
    const items = [...new Set(text.split(",").map((item) => item.trim().toLowerCase()).filter(Boolean))];
    const bad = items.find((item) => !pattern.test(item));
    if (bad !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${name} must be a comma-separated list of ${what} (bad: '${bad}')`,
      });
      return z.NEVER;
    }
    return items;
  });

const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T) =>
  z.string().optional().transform((text, ctx) => {
    const value = (text ?? "").trim().toLowerCase();
    if (value === "") return fallback;
    if (!(values as readonly string[]).includes(value)) {
      ctx.addIssue({ code: "custom", message: `${name} must be one of ${values.join(", ")}` });
      return z.NEVER;
    }
    return value as T;
  });

const ENV = z.object({
  DATABASE_URL: z.string().optional().transform((text, ctx) => {
    const value = text?.trim() || DEFAULT_DATABASE_URL;
    if (!/^postgres(ql)?:\/\//.test(value)) {
      ctx.addIssue({ code: "custom", message: "DATABASE_URL must be a postgres:// URL" });
      return z.NEVER;
    }
    return value;
  }),
  COINGECKO_PLAN: oneOf("COINGECKO_PLAN", ["public", "demo", "pro"] as const, "public"),
  COINGECKO_API_KEY: z.string().optional().transform((text) => text?.trim() || undefined),
  COINGECKO_BASE_URL: z.string().optional().transform((text, ctx) => {
    if (text === undefined || text.trim() === "") return undefined;
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({
        code: "custom",
        message: "COINGECKO_BASE_URL must be an http(s) URL up to and including /api/v3",
      });
      return z.NEVER;
    }
    return text.trim().replace(/\/+$/, "");
  }),
  TRACK_TOP: integer("TRACK_TOP", 0, 10_000, 100),
  TRACK_COINS: list("TRACK_COINS", COIN_ID, "CoinGecko coin ids such as bitcoin,ethereum", []),
  VS_CURRENCIES: list("VS_CURRENCIES", CURRENCY, "currency codes such as usd,eur,btc", ["usd"]),
  SCHEDULE: z.string().optional().transform((text, ctx) => {
    if (text === undefined || text.trim() === "") return undefined;
    try {
      new Cron(text.trim(), { paused: true }).stop();
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `SCHEDULE must be a cron expression such as "*/10 * * * *" (${
          error instanceof Error ? error.message : String(error)
        })`,
      });
      return z.NEVER;
    }
    return text.trim();
  }),
  HTTP_PORT: integer("HTTP_PORT", 0, 65_535, 8080),
  LOG_LEVEL: oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info"),
  STORAGE_MODE: oneOf("STORAGE_MODE", ["auto", "timescaledb", "postgres"] as const, "auto"),
  RAW_RETENTION_DAYS: integer("RAW_RETENTION_DAYS", 7, 36_500, 365),
  BACKFILL_DAYS: integer("BACKFILL_DAYS", 0, 36_500, 30),
  BACKFILL_TOP: integer("BACKFILL_TOP", 0, 10_000, 20),
});

export const ENV_NAMES = Object.keys(ENV.shape) as (keyof typeof ENV.shape)[];

/** Read the variables this service uses (and only those: deno.json allows exactly these). */
export function readEnv(): Record<string, string | undefined> {
  return Object.fromEntries(ENV_NAMES.map((name) => [name, Deno.env.get(name)]));
}

/** Parse and check the configuration; throws a one-line ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = readEnv()): Config {
  const parsed = ENV.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "configuration");
    const message = issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
    throw new ConfigError(`invalid configuration: ${message}`);
  }
  const e = parsed.data;
  const plan = PLANS[e.COINGECKO_PLAN];
  if (plan.keyHeader && !e.COINGECKO_API_KEY) {
    throw new ConfigError(
      `invalid configuration: COINGECKO_API_KEY is required with COINGECKO_PLAN=${plan.name} (or set COINGECKO_PLAN=public)`,
    );
  }
  if (!plan.keyHeader && e.COINGECKO_API_KEY) {
    throw new ConfigError(
      "invalid configuration: COINGECKO_API_KEY is set but COINGECKO_PLAN=public ignores it: set COINGECKO_PLAN=demo or pro",
    );
  }
  if (e.TRACK_TOP === 0 && e.TRACK_COINS.length === 0) {
    throw new ConfigError(
      "invalid configuration: TRACK_TOP is 0 and TRACK_COINS is empty: nothing to collect",
    );
  }
  if (plan.historyDays !== null && e.BACKFILL_DAYS > plan.historyDays) {
    throw new ConfigError(
      `invalid configuration: BACKFILL_DAYS=${e.BACKFILL_DAYS} but the ${plan.name} plan serves only the past ${plan.historyDays} days of history`,
    );
  }
  const tracking = { trackTop: e.TRACK_TOP, trackCoins: e.TRACK_COINS, vsCurrencies: e.VS_CURRENCIES };
  let budget: Budget;
  try {
    budget = planBudget(plan, tracking, e.SCHEDULE);
  } catch (error) {
    if (error instanceof BudgetError) throw new ConfigError(`invalid configuration: ${error.message}`);
    throw error;
  }
  return {
    databaseUrl: e.DATABASE_URL,
    plan,
    apiKey: e.COINGECKO_API_KEY,
    baseUrl: e.COINGECKO_BASE_URL ?? plan.baseUrl,
    trackTop: e.TRACK_TOP,
    trackCoins: e.TRACK_COINS,
    vsCurrencies: e.VS_CURRENCIES,
    budget,
    httpPort: e.HTTP_PORT,
    logLevel: e.LOG_LEVEL,
    storageMode: e.STORAGE_MODE,
    rawRetentionDays: e.RAW_RETENTION_DAYS,
    backfillDays: e.BACKFILL_DAYS,
    backfillTop: e.BACKFILL_TOP,
  };
}

/** What the service logs about its configuration at startup (no key, no password). */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    plan: config.plan.name,
    api_key: config.apiKey ? "set" : "none",
    base_url: config.baseUrl,
    track_top: config.trackTop,
    track_coins: config.trackCoins.length,
    vs_currencies: config.vsCurrencies,
    schedule: config.budget.schedule,
    calls_per_cycle: config.budget.callsPerCycle,
    calls_per_month: config.budget.callsPerMonth,
    extra_currency_strategy: config.budget.strategy,
  };
}
