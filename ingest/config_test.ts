import assert from "node:assert/strict";
import { ConfigError, describeConfig, loadConfig } from "./config.ts";

Deno.test("config: defaults fit the public plan", () => {
  const config = loadConfig({});
  assert.equal(config.plan.name, "public");
  assert.equal(config.baseUrl, "https://api.coingecko.com/api/v3");
  assert.equal(config.trackTop, 100);
  assert.deepEqual(config.vsCurrencies, ["usd"]);
  assert.equal(config.httpPort, 8080);
  assert.equal(config.rawRetentionDays, 365);
  assert.equal(config.backfillDays, 30);
  assert.equal(config.backfillTop, 20);
  assert.equal(config.budget.schedule, "*/5 * * * *"); // 2 calls per cycle; CoinGecko caches ~60 s anyway
  assert.equal(config.budget.callsPerCycle, 2);
});

Deno.test("config: demo default schedule stays within 10,000 calls a month with a reserve", () => {
  const config = loadConfig({ COINGECKO_PLAN: "demo", COINGECKO_API_KEY: "k" });
  assert.equal(config.budget.schedule, "*/10 * * * *");
  assert.equal(config.budget.callsPerMonth, 2 * 31 * 144);
  assert(config.budget.callsPerMonth <= 9_000);
  assert.equal(config.baseUrl, "https://api.coingecko.com/api/v3");
  const pro = loadConfig({ COINGECKO_PLAN: "pro", COINGECKO_API_KEY: "k" });
  assert.equal(pro.baseUrl, "https://pro-api.coingecko.com/api/v3");
  assert.equal(pro.budget.schedule, "* * * * *"); // 2 x 31 x 1,440 = 89,280 <= 90,000
});

Deno.test("config: parses lists and the base URL override", () => {
  const config = loadConfig({
    TRACK_COINS: " Bitcoin, ethereum ,bitcoin,,",
    VS_CURRENCIES: "usd,EUR",
    COINGECKO_BASE_URL: "http://127.0.0.1:9999/api/v3/",
    SCHEDULE: "*/30 * * * *",
    HTTP_PORT: "0",
  });
  assert.deepEqual(config.trackCoins, ["bitcoin", "ethereum"]);
  assert.deepEqual(config.vsCurrencies, ["usd", "eur"]);
  assert.equal(config.baseUrl, "http://127.0.0.1:9999/api/v3");
  assert.equal(config.budget.schedule, "*/30 * * * *");
  assert.equal(config.httpPort, 0);
});

const cases: [Record<string, string>, RegExp][] = [
  [{ TRACK_TOP: "abc" }, /^invalid configuration: TRACK_TOP must be an integer from 0 to 10000$/],
  [{ TRACK_TOP: "-1" }, /TRACK_TOP must be an integer/],
  [{ HTTP_PORT: "70000" }, /^invalid configuration: HTTP_PORT must be an integer from 0 to 65535$/],
  [{ COINGECKO_PLAN: "gold" }, /^invalid configuration: COINGECKO_PLAN must be one of public, demo, pro$/],
  [{ LOG_LEVEL: "loud" }, /LOG_LEVEL must be one of debug, info, warn, error/],
  [{ STORAGE_MODE: "mysql" }, /STORAGE_MODE must be one of auto, timescaledb, postgres/],
  [{ VS_CURRENCIES: "usd,€" }, /VS_CURRENCIES must be a comma-separated list of currency codes .*bad: '€'/],
  [
    { TRACK_COINS: "bitcoin,Bad Id" },
    /TRACK_COINS must be a comma-separated list of CoinGecko coin ids .*'bad id'/,
  ],
  [{ SCHEDULE: "every minute" }, /^invalid configuration: SCHEDULE must be a cron expression/],
  [{ COINGECKO_BASE_URL: "ftp://x" }, /COINGECKO_BASE_URL must be an http\(s\) URL/],
  [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL must be a postgres:\/\/ URL/],
  [{ RAW_RETENTION_DAYS: "3" }, /RAW_RETENTION_DAYS must be an integer from 7/],
  [{ COINGECKO_PLAN: "demo" }, /COINGECKO_API_KEY is required with COINGECKO_PLAN=demo/],
  [{ COINGECKO_API_KEY: "x" }, /COINGECKO_API_KEY is set but COINGECKO_PLAN=public/],
  [{ TRACK_TOP: "0" }, /nothing to collect/],
  [{ BACKFILL_DAYS: "400" }, /BACKFILL_DAYS=400 but the public plan serves only the past 365 days/],
  [
    { COINGECKO_PLAN: "demo", COINGECKO_API_KEY: "k", SCHEDULE: "*/5 * * * *" },
    /^invalid configuration: SCHEDULE="\*\/5 \* \* \* \*" needs 17,856 calls a month .* allows 9,000 .*: use SCHEDULE="\*\/10 \* \* \* \*"/,
  ],
  [
    { TRACK_TOP: "10000", SCHEDULE: "*/5 * * * *" },
    /SCHEDULE="\*\/5 \* \* \* \*" runs every 5 min but a cycle needs 41 calls and the public plan allows 20/,
  ],
];

for (const [env, message] of cases) {
  Deno.test(`config: rejects ${JSON.stringify(env)} with one line`, () => {
    assert.throws(() => loadConfig(env), (error: unknown) => {
      assert(error instanceof ConfigError);
      assert.match(error.message, message);
      assert(!error.message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("config: the key never appears in errors or in the startup description", () => {
  const key = "CG-verysecretkey123";
  assert.throws(
    () => loadConfig({ COINGECKO_PLAN: "demo", COINGECKO_API_KEY: key, TRACK_TOP: "x" }),
    (e: Error) => {
      assert(!e.message.includes(key));
      return true;
    },
  );
  const config = loadConfig({ COINGECKO_PLAN: "demo", COINGECKO_API_KEY: key });
  assert(!JSON.stringify(describeConfig(config)).includes(key));
});
