import assert from "node:assert/strict";
import { storageModes, withTestDatabase } from "../testing/db.ts";
import { FakeCoinGecko } from "../testing/fake_coingecko.ts";
import { memoryLogger, testClient } from "../testing/collector.ts";
import { runCycle } from "./cycle.ts";
import { findGaps, repairGaps } from "./gaps.ts";

const modes = await storageModes();
const MINUTE = 60_000;

for (const mode of modes) {
  Deno.test(`gap repair (${mode}): finds the hole left by downtime and fills it within the call budget`, async () => {
    let now = Date.now() - 5 * 60 * MINUTE;
    const fake = await FakeCoinGecko.start({ clock: () => now });
    try {
      await withTestDatabase(mode, async ({ sql }) => {
        const ctx = { sql, mode, client: testClient(fake.url), log: memoryLogger() };
        const settings = {
          trackTop: 5,
          trackCoins: [],
          vsCurrencies: ["usd"],
          budget: { strategy: "none" as const },
        };
        assert.equal((await runCycle({ ...ctx, settings })).status, "ok");
        now += 10 * MINUTE;
        assert.equal((await runCycle({ ...ctx, settings })).status, "ok");
        now += 4 * 60 * MINUTE; // the service was down for four hours
        assert.equal((await runCycle({ ...ctx, settings })).status, "ok");

        const options = { thresholdMs: 90 * MINUTE, lookbackMs: 7 * 24 * 60 * MINUTE, historyDays: 365 };
        const gaps = await findGaps(sql, options);
        assert.equal(gaps.length, 5);
        for (const gap of gaps) assert.equal(gap.to.getTime() - gap.from.getTime(), 4 * 60 * MINUTE);

        const first = await repairGaps(ctx, { ...options, maxCalls: 3 });
        assert.deepEqual({ ...first, runId: 0 }, {
          runId: 0,
          gapsFound: 5,
          gapsRepaired: 3,
          rows: first.rows,
          deferred: 2,
          status: "ok",
        });
        assert(first.rows >= 3 * 40, `5-minute points over 4 hours: ${first.rows}`);
        assert.equal(fake.requestsTo("range").length, 3);
        const [run] = await sql<
          { details: Record<string, unknown>; rows_written: number; api_calls: unknown }[]
        >`
          SELECT details, rows_written, api_calls FROM ingest_runs WHERE id = ${first.runId!}`;
        assert.equal(run!.details.gaps_found, 5);
        assert.equal(run!.details.gaps_repaired, 3);
        assert.equal(run!.details.rows, first.rows);
        assert.equal((run!.details.coins as string[]).length, 3);
        assert.deepEqual(run!.api_calls, { "200": 3 });

        const second = await repairGaps(ctx, { ...options, maxCalls: 10 });
        assert.equal(second.gapsFound, 2);
        assert.equal(second.gapsRepaired, 2);
        const third = await repairGaps(ctx, { ...options, maxCalls: 10 });
        assert.equal(third.status, "none");
        assert.equal(fake.requestsTo("range").length, 5);

        // The hole is closed: every coin has points all through it, no step longer than the threshold.
        const [widest] = await sql<{ max_step: number }[]>`
          SELECT max(step)::float8 AS max_step FROM (
            SELECT extract(epoch FROM time - lag(time) OVER (PARTITION BY coin_id ORDER BY time)) AS step
            FROM market_snapshots) s`;
        assert(widest!.max_step * 1000 <= 90 * MINUTE, `largest step ${widest!.max_step} s`);
        const [inside] = await sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM market_snapshots WHERE source = 'range'`;
        assert.equal(inside!.n, first.rows + second.rows);
        const [candles] = await sql<
          { n: number }[]
        >`SELECT count(DISTINCT bucket)::int AS n FROM candles_1h WHERE coin_id = 'bitcoin'`;
        assert(candles!.n >= 5, `hourly candles through the repaired hole: ${candles!.n}`);
      });
    } finally {
      await fake.close();
    }
  });
}

Deno.test("gap repair: a gap CoinGecko cannot serve now is retried later; one it answered is not asked again", async () => {
  let now = Date.now() - 5 * 60 * MINUTE;
  const fake = await FakeCoinGecko.start({ clock: () => now });
  try {
    await withTestDatabase("postgres", async ({ sql }) => {
      const ctx = { sql, mode: "postgres" as const, client: testClient(fake.url), log: memoryLogger() };
      const settings = {
        trackTop: 1,
        trackCoins: [],
        vsCurrencies: ["usd"],
        budget: { strategy: "none" as const },
      };
      await runCycle({ ...ctx, settings });
      now += 3 * 60 * MINUTE;
      await runCycle({ ...ctx, settings });
      const options = { thresholdMs: 90 * MINUTE, lookbackMs: 86_400_000, historyDays: 365, maxCalls: 5 };
      fake.fault("range", { kind: "status", status: 500, body: "oops", contentType: "text/plain" }, Infinity);
      const failed = await repairGaps(ctx, options);
      assert.equal(failed.status, "failed");
      fake.clearFaults();
      fake.fault("range", {
        kind: "mutate",
        mutate: () => ({ prices: [], market_caps: [], total_volumes: [] }),
      });
      const empty = await repairGaps(ctx, options);
      assert.deepEqual([empty.gapsFound, empty.gapsRepaired, empty.rows], [1, 1, 0]);
      const none = await repairGaps(ctx, options);
      assert.equal(none.status, "none"); // answered (even with nothing): not asked again
    });
  } finally {
    await fake.close();
  }
});
