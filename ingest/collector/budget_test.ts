import assert from "node:assert/strict";
import { PLANS } from "../coingecko/plans.ts";
import { BudgetError, defaultSchedule, planBudget, planCycle, scheduleStats } from "./budget.ts";

Deno.test("planner: calls per cycle for pages, ids and currencies", () => {
  assert.deepEqual(planCycle({ trackTop: 100, trackCoins: [], vsCurrencies: ["usd"] }), {
    topPages: 1,
    idsCalls: 0,
    strategy: "none",
    callsPerCycle: 2,
  });
  // 1,000 coins = 4 pages of 250; 3 TRACK_COINS = 1 ids call; + /global
  assert.equal(
    planCycle({ trackTop: 1000, trackCoins: ["a", "b", "c"], vsCurrencies: ["usd"] }).callsPerCycle,
    6,
  );
  // A second currency costs the same either way: /coins/markets (richer rows) is kept.
  const two = planCycle({ trackTop: 100, trackCoins: [], vsCurrencies: ["usd", "eur"] });
  assert.equal(two.strategy, "markets");
  assert.equal(two.callsPerCycle, 3);
  // Three currencies: /simple/price covers both extra currencies in one call per 250 ids.
  const three = planCycle({ trackTop: 100, trackCoins: [], vsCurrencies: ["usd", "eur", "btc"] });
  assert.equal(three.strategy, "simple_price");
  assert.equal(three.callsPerCycle, 3);
  const big = planCycle({ trackTop: 1000, trackCoins: [], vsCurrencies: ["usd", "eur", "btc", "eth"] });
  assert.equal(big.strategy, "simple_price");
  assert.equal(big.callsPerCycle, 4 + 4 + 1); // vs 4 + 3 x 4 + 1 = 17 through /coins/markets
});

Deno.test("planner: schedule statistics over a 31-day month", () => {
  assert.deepEqual(scheduleStats("*/10 * * * *"), {
    runsPerMonth: 31 * 144,
    minSpacingMinutes: 10,
    maxSpacingMinutes: 10,
  });
  assert.deepEqual(scheduleStats("0 * * * *"), {
    runsPerMonth: 31 * 24,
    minSpacingMinutes: 60,
    maxSpacingMinutes: 60,
  });
  const irregular = scheduleStats("0,5 * * * *");
  assert.equal(irregular.minSpacingMinutes, 5);
  assert.equal(irregular.maxSpacingMinutes, 55);
  // Dense schedules are extrapolated rather than enumerated forever.
  const everySecond = scheduleStats("* * * * * *");
  assert(Math.abs(everySecond.runsPerMonth - 31 * 86_400) / (31 * 86_400) < 0.01);
  // The regular fast path agrees with croner's enumeration.
  const seventh = scheduleStats("*/7 * * * *").runsPerMonth; // :00 ... :56: 9 an hour, not 60/7
  assert(Math.abs(seventh - 31 * 24 * 9) <= 2, `${seventh}`);
  assert.deepEqual(scheduleStats("*/20 * * * *"), scheduleStats("0,20,40 * * * *"));
});

Deno.test("planner: the default schedule is the fastest that fits, per plan", () => {
  const tracking = { trackTop: 100, trackCoins: [], vsCurrencies: ["usd"] };
  assert.equal(defaultSchedule(PLANS.public, tracking).schedule, "*/5 * * * *");
  assert.equal(defaultSchedule(PLANS.demo, tracking).schedule, "*/10 * * * *");
  // Demo with 1,000 coins in 3 currencies: 4 + 4 + 1 = 9 calls a cycle -> hourly (6,696 a month).
  const heavy = defaultSchedule(PLANS.demo, {
    trackTop: 1000,
    trackCoins: [],
    vsCurrencies: ["usd", "eur", "btc"],
  });
  assert.equal(heavy.callsPerCycle, 9);
  assert.equal(heavy.schedule, "0 * * * *");
  assert(heavy.callsPerMonth <= heavy.monthlyAllowance!);
  // 70,000 TRACK_COINS = 280 ids calls, 282 a cycle: more than the public plan's 240 in an hour.
  const many = Array.from({ length: 70_000 }, (_, i) => `coin-${i}`);
  assert.throws(
    () => defaultSchedule(PLANS.public, { trackTop: 100, trackCoins: many, vsCurrencies: ["usd"] }),
    (e: unknown) =>
      e instanceof BudgetError && /282 calls per cycle, more than the public plan allows/.test(e.message),
  );
});

Deno.test("planner: a schedule over the budget says what to change", () => {
  const tracking = { trackTop: 100, trackCoins: [], vsCurrencies: ["usd"] };
  assert.throws(() => planBudget(PLANS.demo, tracking, "* * * * *"), (e: Error) => {
    assert.match(
      e.message,
      /needs 89,280 calls a month .* demo plan allows 9,000 .* use SCHEDULE="\*\/10 \* \* \* \*"/,
    );
    return true;
  });
  assert.equal(planBudget(PLANS.demo, tracking, "*/15 * * * *").callsPerMonth, 2 * 31 * 96);
  // Per-minute: 2,000 coins every minute on the public plan (9 calls, 4 allowed).
  assert.throws(
    () => planBudget(PLANS.public, { ...tracking, trackTop: 2000 }, "* * * * *"),
    /a cycle needs 9 calls and the public plan allows 4 in that time/,
  );
});
