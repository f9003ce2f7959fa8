/**
 * The always-on collector: migrate, then run the schedule as the single writer.
 *
 * Every instance serves HTTP and competes for the writer lock; the one holding it runs each scheduled
 * tick: a collection cycle, then (with the calls the budget leaves) pending backfill and gap repair,
 * and retention once a day. Ticks never overlap (croner's overrun protection plus our own guard).
 * A database outage fails cycles with a clear log line; the service keeps running, and once the
 * database is back the next cycles and gap repair close the hole.
 */
import { Cron } from "croner";
import { connect, redactUrl, type Sql } from "../db/connect.ts";
import { migrate, type StorageMode } from "../db/migrate.ts";
import type { Logger } from "../log.ts";
import type { Config } from "../config.ts";
import { CoinGeckoClient } from "../coingecko/client.ts";
import { cycleLogFields, runCycle } from "../collector/cycle.ts";
import { spareCalls } from "../collector/allowance.ts";
import { firstStartDue, openJobs, planBackfill, runBackfill } from "../collector/backfill.ts";
import { repairGaps } from "../collector/gaps.ts";
import { applyRetention, configureRetention, retentionDue } from "../collector/retention.ts";
import { closeInterruptedRuns } from "../collector/runs.ts";
import { LeaderLock } from "./leader.ts";
import { Metrics } from "./metrics.ts";
import { type HttpServer, type Readiness, serveHttp } from "./http.ts";

const MINUTE = 60_000;

export interface ServiceOptions {
  config: Config;
  log: Logger;
  /** Default: a client for the configured plan. */
  client?: CoinGeckoClient;
  /** How often a standby tries to take the writer lock. */
  leaderPollMs?: number;
  /** How often gap repair looks for holes (also right after leadership and after failed cycles). */
  gapCheckEveryMs?: number;
  /** How far back gap repair looks. */
  gapLookbackMs?: number;
  /** Wait between attempts to reach the database at startup. */
  databaseRetryMs?: number;
  /** Serve HTTP (off for in-process simulations). */
  http?: boolean;
  /** A connection pool to use instead of connect(config.databaseUrl) (benchmarks). */
  sql?: Sql;
}

const errorText = (error: unknown) => error instanceof Error ? error.message : String(error);

export class Service {
  readonly metrics = new Metrics();
  readonly config: Config;
  readonly client: CoinGeckoClient;
  readonly #log: Logger;
  readonly #options: ServiceOptions;
  readonly #sql: Sql;
  #mode: StorageMode | null = null;
  #lock: LeaderLock;
  #cron: Cron | null = null;
  #http: HttpServer | null = null;
  #leaderTimer: ReturnType<typeof setInterval> | undefined;
  #busy: Promise<void> | null = null;
  #stopping = false;
  #lastGapCheck = 0;
  #gapCheckDue = true;
  #lastCycleFailed = false;
  /** Set once this instance took the lock; cleared when another instance takes over. */
  #wasLeader = false;

  constructor(options: ServiceOptions) {
    this.config = options.config;
    this.#log = options.log;
    this.#options = options;
    this.#sql = connect(options.config.databaseUrl, {
      max: 4,
      applicationName: "crypto-observatory-collector",
    });
    this.#lock = new LeaderLock(this.#sql);
    this.client = options.client ?? new CoinGeckoClient({
      plan: options.config.plan,
      baseUrl: options.config.baseUrl,
      apiKey: options.config.apiKey,
      onCall: (endpoint, status) => this.metrics.apiCalls.add({ endpoint, status }),
      onRetry: (info) => this.#log.warn("coingecko retry", info),
    });
  }

  get port(): number | null {
    return this.#http?.port ?? null;
  }

  get sql(): Sql {
    return this.#sql;
  }

  get isLeader(): boolean {
    return this.#lock.held;
  }

  /** Freshness for /readyz: the longest gap between scheduled runs, twice, plus a minute. */
  get freshnessMs(): number {
    return 2 * this.config.budget.maxSpacingMinutes * MINUTE + MINUTE;
  }

  /**
   * postgres.js 3.4.9 can throw from a timer when the server ends a connection mid-write ("Cannot read
   * properties of null (reading 'write')" in connection.js): nothing can catch that, and it would end
   * the process. The service logs it and carries on; the query that was affected fails on its own.
   */
  readonly #onUncaught = (event: ErrorEvent) => {
    const stack = event.error instanceof Error ? event.error.stack ?? "" : "";
    if (!/[/\\]postgres[/\\]/.test(stack)) return;
    event.preventDefault();
    this.#log.warn("database connection ended abruptly", { error: errorText(event.error) });
  };

  async start(): Promise<void> {
    globalThis.addEventListener("error", this.#onUncaught);
    if (this.#options.http !== false) {
      this.#http = serveHttp({
        port: this.config.httpPort,
        metrics: this.metrics,
        readiness: () => this.readiness(),
        log: this.#log,
      });
    }
    await this.#prepareDatabase();
    if (this.#stopping) return;
    this.#cron = new Cron(this.config.budget.schedule, {
      timezone: "UTC",
      protect: () => this.#log.warn("overrun: the previous tick is still running, skipping this one"),
    }, () => this.tick("schedule"));
    this.#log.info("schedule started", {
      schedule: this.config.budget.schedule,
      next_run: this.#cron.nextRun()?.toISOString() ?? null,
    });
    this.#leaderTimer = setInterval(() => void this.#tryLead(), this.#options.leaderPollMs ?? 5_000);
    await this.#tryLead();
  }

  /** Migrate and configure retention, retrying until the database answers (or the service stops). */
  async #prepareDatabase(): Promise<void> {
    for (;;) {
      try {
        const result = await migrate(this.#sql, {
          mode: this.config.storageMode,
          log: (message, fields) => this.#log.info(message, fields),
        });
        this.#mode = result.mode;
        await configureRetention(this.#sql, this.config.rawRetentionDays);
        this.metrics.up.set({}, 1);
        this.#log.info("database ready", {
          database: redactUrl(this.config.databaseUrl),
          mode: result.mode,
          applied: result.applied,
        });
        return;
      } catch (error) {
        this.metrics.up.set({}, 0);
        this.#log.error("database not ready, retrying", { error: errorText(error) });
        if (this.#stopping) return;
        await new Promise((resolve) => setTimeout(resolve, this.#options.databaseRetryMs ?? 5_000));
        if (this.#stopping) return;
      }
    }
  }

  async #tryLead(): Promise<void> {
    if (this.#stopping || this.#lock.held || this.#wasLeader || this.#busy) return;
    try {
      if (await this.#lock.acquire()) {
        this.#wasLeader = true;
        this.metrics.leader.set({}, 1);
        this.#log.info("writer lock acquired: this instance collects");
        const closed = await closeInterruptedRuns(this.#sql);
        if (closed > 0) this.#log.warn("closed interrupted runs", { runs: closed });
        this.#gapCheckDue = true; // whatever happened before us may have left holes
        this.tick("leadership");
      } else {
        this.metrics.leader.set({}, 0);
      }
    } catch (error) {
      this.metrics.leader.set({}, 0);
      this.#log.warn("writer lock: database unreachable", { error: errorText(error) });
    }
  }

  /** Resolves when the running tick (if any) is done. */
  async idle(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  /** Run one tick's work unless one is running already. */
  tick(reason: string): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    if (this.#busy) {
      this.#log.warn("overrun: the previous tick is still running, skipping this one", { reason });
      return this.#busy;
    }
    this.#busy = this.#work(reason).catch((error) => {
      this.#log.error("tick failed", { reason, error: errorText(error) });
    }).finally(() => (this.#busy = null));
    return this.#busy;
  }

  async #work(reason: string): Promise<void> {
    if (!(await this.#ensureLeader(reason))) return;
    await this.runCycle(reason);
    if (this.#lastCycleFailed || this.#stopping) return;
    await this.#afterCycle();
  }

  /**
   * Whether this instance may write now. A writer whose session ended (database restart, outage) takes
   * the lock back, unless another instance took it meanwhile; while the database is unreachable each
   * tick is a failed cycle with a clear log line.
   */
  async #ensureLeader(reason: string): Promise<boolean> {
    if (this.#lock.held && await this.#lock.verify()) return true;
    if (!this.#wasLeader) return false; // a standby waits for the lock (see #tryLead)
    this.metrics.leader.set({}, 0);
    try {
      if (await this.#lock.acquire()) {
        this.metrics.leader.set({}, 1);
        this.#log.info("writer lock acquired again after the database connection ended");
        return true;
      }
      this.#wasLeader = false;
      this.#log.warn("another instance holds the writer lock now: standing by");
      return false;
    } catch (error) {
      this.#log.error("cycle failed", {
        reason,
        status: "failed",
        error: `database unreachable: ${errorText(error)}`,
      });
      this.metrics.cycles.add({ status: "failed" });
      this.metrics.up.set({}, 0);
      this.#lastCycleFailed = true;
      this.#gapCheckDue = true;
      return false;
    }
  }

  /** One collection cycle with logs and metrics. */
  async runCycle(reason = "manual"): Promise<void> {
    const result = await runCycle({
      sql: this.#sql,
      mode: this.#mode ?? "postgres",
      client: this.client,
      settings: this.config,
      log: this.#log,
    });
    this.metrics.cycles.add({ status: result.status });
    this.metrics.cycleDuration.observe(result.durationMs / 1000);
    this.metrics.rowsWritten.add({ kind: "cycle" }, result.rowsWritten);
    this.metrics.rowsRejected.add({ kind: "cycle" }, result.rowsRejected);
    const fields = { reason, ...cycleLogFields(result) };
    if (result.status === "failed") {
      this.metrics.up.set({}, result.runId === null ? 0 : 1);
      this.#log.error("cycle failed", { ...fields, error: result.error });
      this.#lastCycleFailed = true;
      this.#gapCheckDue = true;
      return;
    }
    this.metrics.up.set({}, 1);
    this.metrics.lastSuccess.set({}, Math.floor(Date.now() / 1000));
    if (result.status === "partial") this.#log.warn("cycle partial", { ...fields, error: result.error });
    else this.#log.info("cycle done", fields);
    if (this.#lastCycleFailed) this.#gapCheckDue = true; // recovered: close the hole now
    this.#lastCycleFailed = false;
  }

  /** Backfill, gap repair and retention, with the calls and time left in this slot. */
  async #afterCycle(): Promise<void> {
    const ctx = {
      sql: this.#sql,
      mode: this.#mode ?? "postgres",
      client: this.client,
      log: this.#log,
    } as const;
    const next = this.#cron?.nextRun()?.getTime() ??
      Date.now() + this.config.budget.minSpacingMinutes * MINUTE;
    const slack = Math.min(15_000, this.config.budget.minSpacingMinutes * MINUTE / 4);
    const deadline = next - slack;
    try {
      let spare = await spareCalls(this.#sql, this.config.plan, this.config.budget);
      let jobs = await openJobs(this.#sql);
      if (
        jobs.length === 0 && this.config.backfillDays > 0 && this.config.backfillTop > 0 && spare > 0 &&
        await firstStartDue(this.#sql)
      ) {
        this.#log.info("first start: backfilling default history", {
          days: this.config.backfillDays,
          top: this.config.backfillTop,
        });
        await planBackfill(ctx, {
          days: this.config.backfillDays,
          top: this.config.backfillTop,
          vsCurrencies: this.config.vsCurrencies,
          origin: "first_start",
        });
        spare = await spareCalls(this.#sql, this.config.plan, this.config.budget);
        jobs = await openJobs(this.#sql);
      }
      for (const jobId of jobs) {
        if (spare <= 0 || this.#stopping) break;
        const progress = await runBackfill(ctx, jobId, { maxCalls: spare, deadline });
        this.metrics.rowsWritten.add({ kind: "backfill" }, progress.rows);
        this.#log.info("backfill progress", { job_id: jobId, ...progress });
        spare -= progress.chunksDone + (progress.status === "failed" ? 1 : 0);
      }
      const gapEvery = this.#options.gapCheckEveryMs ?? 60 * MINUTE;
      if (
        !this.#stopping && spare > 0 && (this.#gapCheckDue || Date.now() - this.#lastGapCheck >= gapEvery)
      ) {
        const result = await repairGaps(ctx, {
          thresholdMs: Math.max(3 * this.config.budget.maxSpacingMinutes * MINUTE, 90 * MINUTE),
          lookbackMs: this.#options.gapLookbackMs ?? 7 * 24 * 60 * MINUTE,
          maxCalls: spare,
          historyDays: this.config.plan.historyDays,
        });
        this.#lastGapCheck = Date.now();
        this.#gapCheckDue = result.deferred > 0;
        this.metrics.gaps.add({ state: "found" }, result.gapsFound);
        this.metrics.gaps.add({ state: "repaired" }, result.gapsRepaired);
        this.metrics.rowsWritten.add({ kind: "gap_repair" }, result.rows);
      }
      if (!this.#stopping && await retentionDue(this.#sql)) {
        const deleted = await applyRetention(this.#sql);
        this.#log.info("retention applied", {
          deleted_rows: deleted,
          keep_days: this.config.rawRetentionDays,
        });
      }
    } catch (error) {
      this.#log.error("maintenance failed (backfill, gap repair or retention)", { error: errorText(error) });
    }
  }

  async readiness(): Promise<Readiness> {
    let last: Date | null;
    try {
      const query = this.#sql<{ last: Date | null }[]>`
        SELECT max(finished_at) AS last FROM ingest_runs WHERE kind = 'cycle' AND status IN ('ok', 'partial')`;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer within 2 s")), 2_000);
      });
      try {
        const rows = await Promise.race([query, timeout]);
        last = rows[0]?.last ?? null;
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      return { ready: false, reason: `database unreachable: ${errorText(error)}` };
    }
    if (!last) return { ready: false, reason: "no successful cycle yet" };
    const age = Date.now() - last.getTime();
    if (age > this.freshnessMs) {
      return { ready: false, reason: `last successful cycle ${Math.round(age / 1000)} s ago (stale)` };
    }
    return { ready: true, reason: `last successful cycle ${Math.round(age / 1000)} s ago` };
  }

  /** Graceful stop: no new ticks, the running one finishes, then the lock and connections are released. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#cron?.stop();
    clearInterval(this.#leaderTimer);
    if (this.#busy) {
      this.#log.info("stopping: waiting for the running tick to finish");
      await this.#busy;
    }
    await this.#lock.release();
    this.metrics.leader.set({}, 0);
    await this.#http?.shutdown();
    await this.#sql.end({ timeout: 5 });
    globalThis.removeEventListener("error", this.#onUncaught);
    this.#log.info("stopped");
  }
}
