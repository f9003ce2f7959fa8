/**
 * The service as users run it: `deno task start` / `deno task once` as subprocesses with exactly
 * deno.json's permissions, against the fake CoinGecko (real HTTP) and a real database; and the outage
 * in-process, where the test controls the database and the clock.
 */
import assert from "node:assert/strict";
import { connect } from "../db/connect.ts";
import { ADMIN_URL, withTestDatabase } from "../testing/db.ts";
import { defaultMarkets, FakeCoinGecko } from "../testing/fake_coingecko.ts";
import { memoryLogger, testClient } from "../testing/collector.ts";
import { spawnTask } from "../testing/process.ts";
import { loadConfig } from "../config.ts";
import { Service } from "./service.ts";

const KEY = "CG-secret-key-never-logged";
const MINUTE = 60_000;

function baseEnv(url: string, fake: FakeCoinGecko): Record<string, string> {
  return {
    DATABASE_URL: url,
    COINGECKO_PLAN: "pro",
    COINGECKO_API_KEY: KEY,
    COINGECKO_BASE_URL: fake.url,
    HTTP_PORT: "0",
    TRACK_TOP: "20",
    SCHEDULE: "* * * * *",
    BACKFILL_DAYS: "2",
    BACKFILL_TOP: "2",
    STORAGE_MODE: "postgres",
  };
}

Deno.test("deno task once: stores every valid coin of the recorded pages with the key in a header, never in logs", async () => {
  const fake = await FakeCoinGecko.start({ requireKey: { header: "x-cg-pro-api-key", value: KEY } });
  try {
    await withTestDatabase("postgres", async ({ sql, url }) => {
      const once = spawnTask("once", {
        ...baseEnv(url, fake),
        TRACK_TOP: "500",
        SCHEDULE: "*/5 * * * *",
        LOG_LEVEL: "debug",
      });
      const status = await once.status;
      const output = [...once.lines, ...once.stderr].join("\n");
      assert.equal(status.code, 0, output);
      assert(!output.includes(KEY), "the key appears in the output");
      const valid = defaultMarkets().filter((r) => typeof r.current_price === "number").length;
      const [n] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM market_snapshots`;
      assert.equal(n!.n, valid);
      const done = JSON.parse(once.lines.find((l) => l.includes('"cycle done"'))!);
      assert.equal(done.rows_rejected, 500 - valid);
      assert(fake.requests.every((r) => r.headers.get("x-cg-pro-api-key") === KEY));
    });
  } finally {
    await fake.close();
  }
});

Deno.test("deno task once: a wrong variable or a failing API exits non-zero with one line", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ url }) => {
      const bad = spawnTask("once", { ...baseEnv(url, fake), TRACK_TOP: "lots" });
      assert.equal((await bad.status).code, 2);
      assert.deepEqual(bad.stderr.filter((l) => !l.includes("Task")), [
        "invalid configuration: TRACK_TOP must be an integer from 0 to 10000",
      ]);
      fake.fault("markets", {
        kind: "status",
        status: 404,
        body: "<html><title>Not Found</title></html>",
        contentType: "text/html",
      }, Infinity);
      const failing = spawnTask("once", baseEnv(url, fake));
      assert.equal((await failing.status).code, 1);
      assert.deepEqual(failing.stderr.filter((l) => !l.includes("Task")), [
        "cycle failed: GET /coins/markets failed: HTTP 404: HTML page: Not Found",
      ]);
    });
  } finally {
    await fake.close();
  }
});

Deno.test("deno task start: migrates, collects, backfills, serves /healthz /readyz /metrics, stops on SIGTERM", async () => {
  const fake = await FakeCoinGecko.start({ clock: () => Date.now() });
  try {
    await withTestDatabase("postgres", async ({ sql, url }) => {
      const service = spawnTask("start", baseEnv(url, fake));
      try {
        const { port } = await service.waitFor(/"http listening"/);
        await service.waitFor(/"cycle done"/);
        // Under load the first-start backfill may take more than one housekeeping slot: wait for its end.
        await service.waitFor(/"backfill progress".*"finished":true/, 150_000);
        const base = `http://127.0.0.1:${port}`;
        assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: "ok" });
        const ready = await fetch(`${base}/readyz`);
        assert.equal(ready.status, 200, await ready.clone().text());
        assert.equal((await ready.json()).status, "ready");
        // A minute boundary may pass while the backfill runs: the metrics must count the cycles recorded (read
        // again if a cycle ended in between).
        let kinds: { kind: string; status: string }[] = [], metrics = "";
        for (let attempt = 0; attempt < 3; attempt++) {
          kinds = await sql<
            { kind: string; status: string }[]
          >`SELECT kind, status FROM ingest_runs ORDER BY id`;
          metrics = await (await fetch(`${base}/metrics`)).text();
          const ok = kinds.filter((k) => k.kind === "cycle" && k.status === "ok").length;
          if (metrics.includes(`observatory_cycles_total{status="ok"} ${ok}\n`)) break;
        }
        const cycles = kinds.filter((k) => k.kind === "cycle" && k.status === "ok");
        assert.ok(cycles.length >= 1, JSON.stringify(kinds));
        assert.ok(!kinds.some((k) => k.kind === "cycle" && k.status !== "ok" && k.status !== "running"));
        assert.match(
          metrics,
          new RegExp(`^observatory_cycles_total\\{status="ok"\\} ${cycles.length}$`, "m"),
        );
        assert.match(metrics, /^observatory_api_calls_total\{endpoint="markets",status="200"\} \d+$/m);
        // 20 coins and the global snapshot per cycle; an unchanged snapshot is stored once.
        const [written] = await sql<{ n: number }[]>`
          SELECT sum(rows_written)::int AS n FROM ingest_runs WHERE kind = 'cycle' AND status = 'ok'`;
        assert.ok(written!.n >= 21, `cycle rows: ${written!.n}`);
        assert.match(
          metrics,
          new RegExp(`^observatory_rows_written_total\\{kind="cycle"\\} ${written!.n}$`, "m"),
        );
        assert.match(metrics, /^observatory_leader 1$/m);
        assert.match(metrics, new RegExp(`^observatory_cycle_duration_seconds_count ${cycles.length}$`, "m"));
        assert(!metrics.includes(KEY));
        assert(kinds.some((k) => k.kind === "backfill" && k.status === "ok"), JSON.stringify(kinds));
        const [history] = await sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM market_snapshots WHERE source = 'range'`;
        assert(history!.n >= 2 * 47, `first-start backfill: ${history!.n} rows`);
      } finally {
        service.child.kill("SIGTERM");
      }
      const status = await service.status;
      assert.equal(status.code, 0, service.stderr.join("\n"));
      assert(service.lines.some((l) => l.includes('"stopped"')));
      const [running] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM ingest_runs WHERE status = 'running'`;
      assert.equal(running!.n, 0);
      assert(!service.lines.join("\n").includes(KEY));
    });
  } finally {
    await fake.close();
  }
});

Deno.test("deno task start: SIGTERM during a cycle lets it finish, then exits 0", async () => {
  const fake = await FakeCoinGecko.start({ clock: () => Date.now() });
  try {
    await withTestDatabase("postgres", async ({ sql, url }) => {
      fake.fault("markets", { kind: "delay", ms: 2_500 });
      const service = spawnTask("start", { ...baseEnv(url, fake), BACKFILL_DAYS: "0" });
      await service.waitFor(/"writer lock acquired/);
      await new Promise((r) => setTimeout(r, 500)); // the first cycle is waiting for /coins/markets
      service.child.kill("SIGTERM");
      const status = await service.status;
      assert.equal(status.code, 0, service.stderr.join("\n"));
      const messages = service.lines.map((l) => JSON.parse(l).message as string);
      const order = ["signal received: finishing the running cycle, then exiting", "cycle done", "stopped"];
      const at = order.map((m) => messages.indexOf(m));
      assert(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)), messages.join(" | "));
      const runs = await sql<{ status: string }[]>`SELECT status FROM ingest_runs WHERE kind = 'cycle'`;
      assert.deepEqual(runs.map((r) => r.status), ["ok"]);
    });
  } finally {
    await fake.close();
  }
});

Deno.test("two instances: only the lock holder writes; the other takes over when it dies", async () => {
  const fake = await FakeCoinGecko.start({ clock: () => Date.now() });
  try {
    await withTestDatabase("postgres", async ({ sql, url }) => {
      const env = { ...baseEnv(url, fake), BACKFILL_DAYS: "0" };
      const first = spawnTask("start", env);
      await first.waitFor(/"cycle done"/);
      const second = spawnTask("start", env);
      try {
        await second.waitFor(/"schedule started"/);
        await new Promise((r) => setTimeout(r, 6_000)); // more than a standby's lock poll
        assert(!second.lines.some((l) => l.includes("writer lock acquired")), "the standby took the lock");
        // Only the lock holder writes: the standby ran no cycle (the holder may have run another one if a
        // minute boundary passed meanwhile).
        assert(!second.lines.some((l) => /"cycle (done|failed)"/.test(l)), "the standby ran a cycle");
        const [cycles] = await sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM ingest_runs WHERE kind = 'cycle'`;
        const firstCycles = first.lines.filter((l) => /"cycle (done|failed)"/.test(l)).length;
        assert.ok(
          cycles!.n >= 1 && cycles!.n <= firstCycles + 1,
          `${cycles!.n} cycles, ${firstCycles} by the holder`,
        );
        const port = (await second.waitFor(/"http listening"/)).port;
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        assert.match(metrics, /^observatory_leader 0$/m);

        first.child.kill("SIGKILL"); // dies without releasing anything: its session ends, the lock with it
        await first.status;
        await second.waitFor(/"writer lock acquired/, 20_000);
        await second.waitFor(/"cycle done"/, 20_000);
        const [after] = await sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM ingest_runs WHERE kind = 'cycle'`;
        assert.equal(after!.n, 2);
      } finally {
        for (const [process, signal] of [[second, "SIGTERM"], [first, "SIGKILL"]] as const) {
          try {
            process.child.kill(signal);
          } catch {
            // already exited
          }
          await process.status;
        }
      }
    });
  } finally {
    await fake.close();
  }
});

Deno.test("database outage: cycles fail with a clear line, the service keeps running, and no hole is left", async () => {
  let now = Date.now() - 6 * 60 * MINUTE;
  const fake = await FakeCoinGecko.start({ clock: () => now });
  try {
    await withTestDatabase("postgres", async ({ sql, url, name }) => {
      const config = loadConfig({
        ...baseEnv(url, fake),
        TRACK_TOP: "3",
        SCHEDULE: "*/10 * * * *",
        BACKFILL_DAYS: "0",
      });
      const log = memoryLogger();
      const service = new Service({
        config,
        log,
        client: testClient(fake.url, { planName: "pro", apiKey: KEY }),
        leaderPollMs: 200,
      });
      const admin = connect(ADMIN_URL, { max: 1 });
      try {
        await service.start();
        await service.idle();
        assert.equal(service.isLeader, true);
        assert(log.lines.some((l) => l.includes('"cycle done"')));

        // The database goes away.
        await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`;
        for (let i = 0; i < 2; i++) {
          now += 60 * MINUTE;
          await service.tick("test");
        }
        const failures = log.lines.filter((l) => l.includes('"cycle failed"')).map((l) => JSON.parse(l));
        assert.equal(failures.length, 2);
        assert.match(failures[0].error, /^database unreachable: /);
        assert.match(failures[1].error, /^database unreachable: /);
        const readiness = await service.readiness();
        assert.equal(readiness.ready, false);
        assert.match(readiness.reason, /^database unreachable/);

        // It comes back: the next tick collects, and gap repair fills the two hours it missed.
        await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
        // (postgres.js may need a tick to replace connections that were connecting during the outage)
        const doneBefore = log.lines.filter((l) => l.includes('"cycle done"')).length;
        for (let i = 0; i < 3; i++) {
          now += 10 * MINUTE;
          await service.tick("test");
          await service.idle();
          if (log.lines.filter((l) => l.includes('"cycle done"')).length > doneBefore) break;
        }
        assert(log.lines.some((l) => l.includes("writer lock acquired again")), log.lines.join("\n"));
        assert(log.lines.filter((l) => l.includes('"cycle done"')).length > doneBefore, log.lines.join("\n"));
        const check = connect(url, { max: 1 });
        try {
          const [repair] = await check<{ details: Record<string, number> }[]>`
            SELECT details FROM ingest_runs WHERE kind = 'gap_repair' ORDER BY id DESC LIMIT 1`;
          assert.equal(repair!.details.gaps_found, 3);
          assert.equal(repair!.details.gaps_repaired, 3);
          const [widest] = await check<{ max_step: number }[]>`
            SELECT max(step)::float8 AS max_step FROM (
              SELECT extract(epoch FROM time - lag(time) OVER (PARTITION BY coin_id ORDER BY time)) AS step
              FROM market_snapshots) s`;
          assert(widest!.max_step <= 90 * 60, `a step of ${widest!.max_step} s is left`);
          assert.equal((await service.readiness()).ready, true);
        } finally {
          await check.end();
        }
        void sql;
      } finally {
        await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
        await admin.end();
        await service.stop();
      }
    });
  } finally {
    await fake.close();
  }
});
