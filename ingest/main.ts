/**
 * The collector's command line: `deno task <command>` runs `ingest/main.ts <command>`.
 *   start                          migrate, then collect on the schedule (the service)
 *   once                           one collection cycle; exit 0 on success, 1 with a one-line reason
 *   backfill [--days N] [--coins a,b]
 *                                  fill history from market_chart/range (resumable, idempotent)
 *   migrate                        apply pending migrations from sql/ and exit
 */
import { parseArgs } from "node:util";
import { connect, DEFAULT_DATABASE_URL, redactUrl } from "./db/connect.ts";
import { migrate, type ModeSetting } from "./db/migrate.ts";
import { createLogger, type Logger } from "./log.ts";
import { type Config, ConfigError, describeConfig, loadConfig } from "./config.ts";
import { CoinGeckoClient } from "./coingecko/client.ts";
import { cycleLogFields, runCycle } from "./collector/cycle.ts";
import { BackfillError, planBackfill, runBackfill } from "./collector/backfill.ts";
import { Service } from "./service/service.ts";

const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!;

function clientFor(config: Config, log: Logger): CoinGeckoClient {
  return new CoinGeckoClient({
    plan: config.plan,
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    onRetry: (info) => log.warn("coingecko retry", info),
  });
}

async function start(config: Config, log: Logger): Promise<number> {
  log.info("starting", describeConfig(config));
  const service = new Service({ config, log });
  const stopped = Promise.withResolvers<void>();
  const onSignal = (signal: Deno.Signal) => () => {
    log.info("signal received: finishing the running cycle, then exiting", { signal });
    service.stop().then(() => stopped.resolve(), stopped.reject);
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((signal) => [signal, onSignal(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  await service.start();
  await stopped.promise;
  for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  return 0;
}

async function once(config: Config, log: Logger): Promise<number> {
  const sql = connect(config.databaseUrl, { max: 2 });
  try {
    const { mode } = await migrate(sql, { mode: config.storageMode });
    const result = await runCycle({ sql, mode, client: clientFor(config, log), settings: config, log });
    const fields = cycleLogFields(result);
    if (result.status === "ok") {
      log.info("cycle done", fields);
      return 0;
    }
    log.error(`cycle ${result.status}`, { ...fields, error: result.error });
    console.error(`cycle ${result.status}: ${result.error ?? "unknown error"}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function backfill(config: Config, log: Logger, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: { days: { type: "string" }, coins: { type: "string" } },
    strict: true,
  });
  const days = values.days === undefined ? config.backfillDays : Number(values.days);
  if (!Number.isInteger(days) || days < 1) {
    console.error(`backfill: --days must be a whole number of days from 1, got '${values.days}'`);
    return 2;
  }
  const coins = values.coins?.split(",").map((id) => id.trim().toLowerCase()).filter(Boolean);
  const sql = connect(config.databaseUrl, { max: 2 });
  try {
    const { mode } = await migrate(sql, { mode: config.storageMode });
    const ctx = { sql, mode, client: clientFor(config, log), log };
    const job = await planBackfill(ctx, {
      days,
      ...(coins ? { coins, top: 0 } : { coins: config.trackCoins, top: config.trackTop }),
      vsCurrencies: config.vsCurrencies,
      origin: "cli",
    });
    log.info(job.resumed ? "backfill resumed" : "backfill planned", { ...job, days });
    const progress = await runBackfill(ctx, job.jobId, {
      onChunk: (done) => log.debug("backfill chunk done", { job_id: job.jobId, done }),
    });
    if (progress.finished && progress.status === "ok") {
      log.info("backfill done", { job_id: job.jobId, ...progress });
      return 0;
    }
    log.error("backfill incomplete", { job_id: job.jobId, ...progress });
    console.error(
      progress.finished
        ? `backfill finished with errors: ${progress.error}`
        : `backfill incomplete (${progress.chunksPending} chunks left): ${progress.error}; run it again to resume`,
    );
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "migrate") {
    const log = createLogger();
    const url = Deno.env.get("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
    const sql = connect(url, { max: 1 });
    try {
      const result = await migrate(sql, {
        mode: (Deno.env.get("STORAGE_MODE") ?? "auto") as ModeSetting,
        log: (message, fields) => log.info(message, fields),
      });
      log.info("migrations done", { database: redactUrl(url), ...result });
      return 0;
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  if (command !== "start" && command !== "once" && command !== "backfill") {
    console.error(`unknown command '${command ?? ""}': expected start, once, backfill or migrate`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  try {
    if (command === "start") return await start(config, log);
    if (command === "once") return await once(config, log);
    return await backfill(config, log, rest);
  } catch (error) {
    const message = error instanceof BackfillError
      ? `backfill: ${error.message}`
      : `${command}: ${errorText(error)}`;
    log.error(message);
    console.error(message);
    return 1;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(errorText(error));
    Deno.exit(1);
  }
}
