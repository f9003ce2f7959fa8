/**
 * The call-budget planner: how many calls a cycle makes for the configured coins and currencies, how
 * many a month the schedule adds up to, and whether that fits the plan's per-minute and monthly limits.
 */
import { Cron } from "croner";
import { IDS_PER_REQUEST, MARKETS_PAGE_SIZE, type Plan } from "../coingecko/plans.ts";

/** Share of the monthly quota kept free for gap repair and backfill. */
export const MONTHLY_RESERVE = 0.1;
/** Share of the per-minute limit one cycle may use (the rest: gap repair, backfill, clock skew). */
export const PER_MINUTE_SHARE = 0.8;
/** Months are budgeted at their longest. */
export const MONTH_DAYS = 31;

const DEFAULT_LADDER_MINUTES = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440];

export interface Tracking {
  trackTop: number;
  trackCoins: readonly string[];
  vsCurrencies: readonly string[];
}

/**
 * How the currencies after the first are covered. /coins/markets answers one currency per call;
 * /simple/price answers every currency for up to 250 ids at once (price, market cap, 24h volume and
 * change, last update: everything the candles need), so it wins as soon as it needs fewer calls.
 */
export type ExtraCurrencyStrategy = "none" | "markets" | "simple_price";

export interface CyclePlan {
  /** /coins/markets pages for the top coins, per currency fetched through /coins/markets. */
  topPages: number;
  /** /coins/markets?ids= calls for TRACK_COINS (counted as if none were in the top). */
  idsCalls: number;
  strategy: ExtraCurrencyStrategy;
  /** All calls of one cycle, /global included. */
  callsPerCycle: number;
}

export function planCycle(tracking: Tracking): CyclePlan {
  const topPages = Math.ceil(tracking.trackTop / MARKETS_PAGE_SIZE);
  const idsCalls = Math.ceil(tracking.trackCoins.length / IDS_PER_REQUEST);
  const primaryCalls = topPages + idsCalls;
  const extras = tracking.vsCurrencies.length - 1;
  let strategy: ExtraCurrencyStrategy = "none";
  let extraCalls = 0;
  if (extras > 0) {
    const viaMarkets = extras * primaryCalls;
    const viaSimplePrice = Math.ceil((tracking.trackTop + tracking.trackCoins.length) / IDS_PER_REQUEST);
    // Equal cost: /coins/markets, whose rows carry more fields.
    strategy = viaSimplePrice < viaMarkets ? "simple_price" : "markets";
    extraCalls = Math.min(viaMarkets, viaSimplePrice);
  }
  return { topPages, idsCalls, strategy, callsPerCycle: primaryCalls + extraCalls + 1 };
}

export interface ScheduleStats {
  /** Runs in a 31-day month. */
  runsPerMonth: number;
  /** Shortest time between two runs, in minutes. */
  minSpacingMinutes: number;
  /** Longest time between two runs, in minutes (how stale the last cycle may be before it is late). */
  maxSpacingMinutes: number;
}

/** Runs enumerated before extrapolating (croner takes ~0.1 ms per run). */
const ENUMERATION_CAP = 1_500;

/**
 * Count a cron schedule's runs over a 31-day month (UTC). Dense schedules are extrapolated from their
 * first 1,500 runs: exact for regular schedules, and on the safe side (more runs) for ones that only
 * run on some days.
 */
export function scheduleStats(schedule: string): ScheduleStats {
  const regular = /^\*\/(\d+) \* \* \* \*$|^(\*) \* \* \* \*$/.exec(schedule);
  if (regular && (regular[2] || 60 % Number(regular[1]) === 0)) {
    const minutes = Number(regular[1] ?? 1);
    return {
      runsPerMonth: (MONTH_DAYS * 1440) / minutes,
      minSpacingMinutes: minutes,
      maxSpacingMinutes: minutes,
    };
  }
  const start = new Date(Date.UTC(2025, 0, 1));
  const end = start.getTime() + MONTH_DAYS * 86_400_000;
  const job = new Cron(schedule, { paused: true, timezone: "UTC" });
  let runs = 0;
  let previous: number | null = null;
  let minSpacing = Infinity;
  let maxSpacing = 0;
  let first = start.getTime();
  let last = start.getTime();
  for (let next = job.nextRun(new Date(start.getTime() - 1)); next; next = job.nextRun(next)) {
    const t = next.getTime();
    if (t >= end) break;
    if (previous !== null) {
      minSpacing = Math.min(minSpacing, t - previous);
      maxSpacing = Math.max(maxSpacing, t - previous);
    }
    if (previous === null) first = t;
    previous = t;
    last = t;
    if (++runs >= ENUMERATION_CAP) break;
  }
  job.stop();
  if (runs >= ENUMERATION_CAP) {
    runs = Math.ceil((runs - 1) * (end - first) / Math.max(1, last - first));
  }
  return {
    runsPerMonth: runs,
    minSpacingMinutes: minSpacing === Infinity ? MONTH_DAYS * 1440 : minSpacing / 60_000,
    maxSpacingMinutes: maxSpacing === 0 ? MONTH_DAYS * 1440 : maxSpacing / 60_000,
  };
}

export interface Budget extends CyclePlan {
  schedule: string;
  runsPerMonth: number;
  minSpacingMinutes: number;
  maxSpacingMinutes: number;
  callsPerMonth: number;
  /** Monthly calls available to the cycles (quota less the reserve); null without a monthly quota. */
  monthlyAllowance: number | null;
  /** Calls one cycle may make in its slot (per-minute limit x spacing x share). */
  slotAllowance: number;
}

export class BudgetError extends Error {
  override name = "BudgetError";
}

function evaluate(plan: Plan, cycle: CyclePlan, schedule: string): Budget {
  const stats = scheduleStats(schedule);
  return {
    ...cycle,
    schedule,
    runsPerMonth: stats.runsPerMonth,
    minSpacingMinutes: stats.minSpacingMinutes,
    maxSpacingMinutes: stats.maxSpacingMinutes,
    callsPerMonth: cycle.callsPerCycle * stats.runsPerMonth,
    monthlyAllowance: plan.monthlyCalls === null
      ? null
      : Math.floor(plan.monthlyCalls * (1 - MONTHLY_RESERVE)),
    slotAllowance: Math.floor(plan.callsPerMinute * Math.min(stats.minSpacingMinutes, 60) * PER_MINUTE_SHARE),
  };
}

function fits(budget: Budget): boolean {
  return budget.callsPerCycle <= budget.slotAllowance &&
    (budget.monthlyAllowance === null || budget.callsPerMonth <= budget.monthlyAllowance);
}

function cronEvery(minutes: number): string {
  if (minutes === 1) return "* * * * *";
  if (minutes < 60) return `*/${minutes} * * * *`;
  if (minutes === 60) return "0 * * * *";
  if (minutes < 1440) return `0 */${minutes / 60} * * *`;
  return "0 0 * * *";
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** The fastest default schedule (from a ladder of round intervals) that fits the plan. */
export function defaultSchedule(plan: Plan, tracking: Tracking): Budget {
  const cycle = planCycle(tracking);
  for (const minutes of DEFAULT_LADDER_MINUTES) {
    if (minutes < plan.minIntervalMinutes) continue;
    const budget = evaluate(plan, cycle, cronEvery(minutes));
    if (fits(budget)) return budget;
  }
  throw new BudgetError(
    `TRACK_TOP=${tracking.trackTop}, ${tracking.trackCoins.length} TRACK_COINS and ${tracking.vsCurrencies.length} VS_CURRENCIES need ${cycle.callsPerCycle} calls per cycle, more than the ${plan.name} plan allows even once a day: track fewer coins or currencies, or use a paid plan (COINGECKO_PLAN=pro)`,
  );
}

/**
 * The budget for the configured schedule (or the default one). A schedule that does not fit throws
 * a one-line BudgetError that says what to change.
 */
export function planBudget(plan: Plan, tracking: Tracking, schedule?: string): Budget {
  if (schedule === undefined) return defaultSchedule(plan, tracking);
  const budget = evaluate(plan, planCycle(tracking), schedule);
  if (fits(budget)) return budget;
  let suggestion: string;
  try {
    suggestion = `use SCHEDULE="${defaultSchedule(plan, tracking).schedule}" (or unset it)`;
  } catch {
    suggestion = "track fewer coins or currencies, or use a paid plan (COINGECKO_PLAN=pro)";
  }
  if (budget.callsPerCycle > budget.slotAllowance) {
    throw new BudgetError(
      `SCHEDULE="${schedule}" runs every ${
        fmt(budget.minSpacingMinutes)
      } min but a cycle needs ${budget.callsPerCycle} calls and the ${plan.name} plan allows ${budget.slotAllowance} in that time (${plan.callsPerMinute}/min, ${
        PER_MINUTE_SHARE * 100
      }% for cycles): ${suggestion}`,
    );
  }
  throw new BudgetError(
    `SCHEDULE="${schedule}" needs ${
      fmt(budget.callsPerMonth)
    } calls a month (${budget.callsPerCycle} per cycle x ${
      fmt(budget.runsPerMonth)
    } cycles) but the ${plan.name} plan allows ${fmt(budget.monthlyAllowance ?? 0)} (${
      fmt(plan.monthlyCalls ?? 0)
    } less ${MONTHLY_RESERVE * 100}% for gap repair and backfill): ${suggestion}`,
  );
}
