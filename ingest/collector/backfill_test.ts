import assert from "node:assert/strict";
import { storageModes, withTestDatabase } from "../testing/db.ts";
import { FakeCoinGecko } from "../testing/fake_coingecko.ts";
import { memoryLogger, testClient } from "../testing/collector.ts";
import { REPO, taskCommand } from "../testing/process.ts";
import { BackfillError, chunkRange, planBackfill, runBackfill } from "./backfill.ts";

const modes = await storageModes();
const DAY = 86_400_000;

Deno.test("backfill: ranges are split into windows of at most 90 days, newest first", () => {
  assert.deepEqual(chunkRange(0, 200 * DAY), [[110 * DAY, 200 * DAY], [20 * DAY, 110 * DAY], [0, 20 * DAY]]);
  assert.deepEqual(chunkRange(0, 30 * DAY), [[0, 30 * DAY]]);
});

for (const mode of modes) {
  Deno.test(`backfill (${mode}): hourly history in chunks, candles fresh, and a second run adds nothing`, async () => {
    const fake = await FakeCoinGecko.start();
    try {
      await withTestDatabase(mode, async ({ sql }) => {
        const ctx = { sql, mode, client: testClient(fake.url), log: memoryLogger() };
        const request = {
          days: 100,
          coins: ["bitcoin", "ethereum"],
          vsCurrencies: ["usd"],
          origin: "cli" as const,
        };
        const job = await planBackfill(ctx, request);
        assert.deepEqual({ ...job, jobId: 0 }, {
          jobId: 0,
          resumed: false,
          chunksTotal: 4,
          chunksPending: 4,
        });
        const progress = await runBackfill(ctx, job.jobId);
        assert.equal(progress.status, "ok");
        assert.equal(progress.finished, true);
        const ranges = fake.requestsTo("range");
        assert.equal(ranges.length, 4);
        for (const r of ranges) {
          const span = Number(r.query.get("to")) - Number(r.query.get("from"));
          assert(span <= 90 * 86_400, `chunk of ${span / 86_400} days`);
        }
        const [stats] = await sql<{ n: number; coins: number; sources: string[]; hours: number }[]>`
          SELECT count(*)::int AS n, count(DISTINCT coin_id)::int AS coins, array_agg(DISTINCT source) AS sources,
                 (extract(epoch FROM max(time) - min(time)) / 3600)::int AS hours
          FROM market_snapshots`;
        assert.deepEqual(stats!.sources, ["range"]);
        assert.equal(stats!.coins, 2);
        assert(stats!.hours >= 99 * 24, `${stats!.hours} hours covered`);
        assert.equal(stats!.n, progress.rows);
        assert(progress.rows >= 2 * 99 * 24, `${progress.rows} hourly rows`);
        // Candles exist for the backfilled past (explicit refresh in TimescaleDB mode).
        const [daily] = await sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM candles_1d WHERE coin_id = 'bitcoin' AND bucket < now() - interval '2 days'`;
        assert(daily!.n >= 97, `${daily!.n} daily candles`);
        const [info] = await sql<{ details: Record<string, unknown> }[]>`
          SELECT details FROM ingest_runs WHERE id = ${progress.runId}`;
        assert.equal(info!.details.finished, true);

        // Idempotent: the same request again is a new job whose rows are all known already.
        const again = await runBackfill(ctx, (await planBackfill(ctx, request)).jobId);
        assert.equal(again.rows, 0);
        const [after] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM market_snapshots`;
        assert.equal(after!.n, stats!.n);
      });
    } finally {
      await fake.close();
    }
  });
}

Deno.test("backfill: beyond the plan's history, and unknown coins, stop with a clear message", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ sql }) => {
      const ctx = {
        sql,
        mode: "postgres" as const,
        client: testClient(fake.url, { planName: "demo", apiKey: "k" }),
        log: memoryLogger(),
      };
      await assert.rejects(
        () => planBackfill(ctx, { days: 400, coins: ["bitcoin"], vsCurrencies: ["usd"], origin: "cli" }),
        (e: unknown) =>
          e instanceof BackfillError &&
          e.message ===
            "--days 400 is beyond the demo plan's history: CoinGecko serves only the past 365 days on it (error 10012): use --days 365 or less, or a paid plan",
      );
      await assert.rejects(
        () =>
          planBackfill(ctx, {
            days: 5,
            coins: ["bitcoin", "not-a-coin"],
            vsCurrencies: ["usd"],
            origin: "cli",
          }),
        /^BackfillError: unknown coin id\(s\) for CoinGecko: not-a-coin/,
      );
      // 365 days exactly is fine: the first chunk starts an hour inside the limit.
      const job = await planBackfill(ctx, {
        days: 365,
        coins: ["bitcoin"],
        vsCurrencies: ["usd"],
        origin: "cli",
      });
      assert.equal(job.chunksTotal, 5);
      const progress = await runBackfill(ctx, job.jobId);
      assert.equal(progress.status, "ok", progress.error);
    });
  } finally {
    await fake.close();
  }
});

// 8 coins x 360 days = 32 chunks of 90 days (~69,000 rows): more than one write batch (BACKFILL_BATCH_ROWS).
const COINS = ["bitcoin", "ethereum", "tether", "binancecoin", "ripple", "cardano", "dogecoin", "litecoin"];

Deno.test("backfill: killed mid-run, `deno task backfill` resumes without refetching finished chunks", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ sql, url }) => {
      const env = {
        DATABASE_URL: url,
        COINGECKO_BASE_URL: fake.url,
        COINGECKO_PLAN: "pro", // 250 calls a minute: the keyless plan's 5 would make this test slow
        COINGECKO_API_KEY: "test-key",
        LOG_LEVEL: "debug",
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
      };
      const args = [...taskCommand("backfill"), "--days", "360", "--coins", COINS.join(",")];
      fake.fault("range", { kind: "delay", ms: 400 }, Infinity);
      const child = new Deno.Command("deno", {
        args,
        env,
        cwd: REPO,
        clearEnv: true,
        stdout: "null",
        stderr: "null",
      })
        .spawn();
      // Wait until some chunks are done, then kill it hard (no chance to clean up).
      for (let i = 0; i < 600; i++) {
        const [row] = await sql<{ done: number }[]>`
          SELECT count(*)::int AS done FROM internal.backfill_chunks WHERE done_at IS NOT NULL`.catch(
          () => [{ done: 0 }],
        );
        if ((row?.done ?? 0) >= 3) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill("SIGKILL");
      await child.status;
      const done = await sql<{ coin_id: string; from: number }[]>`
        SELECT coin_id, extract(epoch FROM range_from)::bigint::int AS from
        FROM internal.backfill_chunks WHERE done_at IS NOT NULL`;
      assert(done.length >= 3 && done.length < 32, `${done.length} of 32 chunks done before the kill`);
      const firstRun = fake.requestsTo("range").length;

      fake.clearFaults();
      const rerun = await new Deno.Command(Deno.execPath(), { args, env, cwd: REPO, clearEnv: true })
        .output();
      assert.equal(rerun.code, 0, new TextDecoder().decode(rerun.stderr));
      assert.match(new TextDecoder().decode(rerun.stdout), /"message":"backfill resumed"/);
      const resumed = fake.requestsTo("range").slice(firstRun);
      for (const chunk of done) {
        const refetched = resumed.find((r) =>
          r.path.includes(`/${chunk.coin_id}/`) && Math.abs(Number(r.query.get("from")) - chunk.from) <= 1
        );
        assert.equal(refetched, undefined, `chunk ${chunk.coin_id}@${chunk.from} was fetched again`);
      }
      assert(resumed.length <= 32 - done.length + 1, `${resumed.length} chunks fetched on resume`);
      const [left] = await sql<{ n: number; dupes: number }[]>`
        SELECT (SELECT count(*)::int FROM internal.backfill_chunks WHERE done_at IS NULL) AS n,
               (SELECT count(*)::int FROM (SELECT 1 FROM market_snapshots GROUP BY coin_id, vs_currency, time HAVING count(*) > 1) d) AS dupes`;
      assert.deepEqual(left, { n: 0, dupes: 0 });
    });
  } finally {
    await fake.close();
  }
});
