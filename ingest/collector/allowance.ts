/**
 * How many calls gap repair and backfill may spend now: what the month's quota has left after the calls
 * already made (from ingest_runs) and the calls the remaining scheduled cycles will need, capped by what
 * fits in one schedule slot next to a cycle.
 */
import { Cron } from "croner";
import type { Sql } from "../db/connect.ts";
import type { Plan } from "../coingecko/plans.ts";
import type { Budget } from "./budget.ts";
import { callsSince } from "./runs.ts";

/** Scheduled runs from `now` to the end of the UTC month. */
export function runsLeftThisMonth(schedule: string, now: Date): number {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const job = new Cron(schedule, { paused: true, timezone: "UTC" });
  let runs = 0;
  for (let next = job.nextRun(now); next && next.getTime() < end; next = job.nextRun(next)) {
    if (++runs > 1_000_000) break;
  }
  job.stop();
  return runs;
}

export async function spareCalls(sql: Sql, plan: Plan, budget: Budget, now = new Date()): Promise<number> {
  const slot = Math.max(0, budget.slotAllowance - budget.callsPerCycle);
  if (plan.monthlyCalls === null) return slot;
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const used = await callsSince(sql, monthStart);
  const ahead = budget.callsPerCycle * runsLeftThisMonth(budget.schedule, now);
  return Math.max(0, Math.min(slot, plan.monthlyCalls - used - ahead));
}
