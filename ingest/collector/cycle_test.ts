import assert from "node:assert/strict";
import { storageModes, withTestDatabase } from "../testing/db.ts";
import { defaultMarkets, FakeCoinGecko, RECORDED, recordedJson } from "../testing/fake_coingecko.ts";
import { memoryLogger, testClient } from "../testing/collector.ts";
import { runCycle } from "./cycle.ts";

const modes = await storageModes();

type Row = Record<string, unknown>;

for (const mode of modes) {
  Deno.test(`cycle (${mode}): stores every valid coin of recorded pages, rejects only the invalid ones`, async () => {
    const fake = await FakeCoinGecko.start();
    try {
      await withTestDatabase(mode, async ({ sql }) => {
        const rows = defaultMarkets();
        const valid = rows.filter((r) => typeof r.current_price === "number");
        const invalid = rows.filter((r) => typeof r.current_price !== "number");
        assert(invalid.length >= 1, "the null-heavy recording has a coin without a price");
        const result = await runCycle({
          sql,
          mode,
          client: testClient(fake.url),
          settings: { trackTop: 500, trackCoins: [], vsCurrencies: ["usd"], budget: { strategy: "none" } },
          log: memoryLogger(),
        });
        assert.equal(result.status, "ok", result.error);
        const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM market_snapshots`;
        assert.equal(count!.n, valid.length);
        const stored = await sql<{ coin_id: string; price: number; time: Date }[]>`
          SELECT coin_id, price, time FROM market_snapshots WHERE coin_id = 'bitcoin'`;
        const btc = rows.find((r) => r.id === "bitcoin")!;
        assert.deepEqual(stored.map((s) => [s.price, s.time.toISOString()]), [[
          btc.current_price,
          btc.last_updated,
        ]]);
        const [run] = await sql<Row[]>`SELECT * FROM ingest_runs WHERE id = ${result.runId!}`;
        assert.equal(run!.status, "ok");
        assert.equal(run!.rows_rejected, invalid.length);
        assert.equal(run!.rows_written, valid.length + 1); // + the /global snapshot
        assert.deepEqual(
          (run!.rejections as { coin_id: string; reason: string }[]).map((r) => r.coin_id).sort(),
          invalid.map((r) => String(r.id)).sort(),
        );
        assert.match((run!.rejections as { reason: string }[])[0]!.reason, /current_price/);
        assert.deepEqual(run!.api_calls, { "200": 3 });
        const [global] = await sql<Row[]>`SELECT * FROM global_snapshots`;
        const recorded = recordedJson<{ data: { updated_at: number; market_cap_percentage: Row } }>(
          RECORDED.global,
        );
        assert.equal((global!.time as Date).getTime(), recorded.data.updated_at * 1000);
        assert.deepEqual(global!.market_cap_percentage, recorded.data.market_cap_percentage);
        // Candles exist for what was written.
        const [candles] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM candles_1h`;
        assert.equal(candles!.n, valid.length);

        // The same observations again: stored once.
        const again = await runCycle({
          sql,
          mode,
          client: testClient(fake.url),
          settings: { trackTop: 500, trackCoins: [], vsCurrencies: ["usd"], budget: { strategy: "none" } },
          log: memoryLogger(),
        });
        assert.equal(again.status, "ok");
        assert.equal(again.rowsWritten, 0);
        const [after] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM market_snapshots`;
        assert.equal(after!.n, valid.length);
      });
    } finally {
      await fake.close();
    }
  });
}

const settings = (over: Partial<Parameters<typeof runCycle>[0]["settings"]> = {}) => ({
  trackTop: 100,
  trackCoins: [] as string[],
  vsCurrencies: ["usd"],
  budget: { strategy: "none" as const },
  ...over,
});

Deno.test("cycle: injected nulls, wrong types and duplicated ids are rejected with reasons; the rest is stored", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ sql }) => {
      fake.fault("markets", {
        kind: "mutate",
        mutate: (body) => {
          const rows = body as Row[];
          rows[3] = { ...rows[3], current_price: null };
          rows[4] = { ...rows[4], total_volume: "lots" };
          rows[5] = { ...rows[5], market_cap: null, high_24h: null }; // nullable: stored
          rows.push({ ...rows[0]! }); // bitcoin twice
          return rows;
        },
      });
      const result = await runCycle({
        sql,
        mode: "postgres",
        client: testClient(fake.url),
        settings: settings(),
        log: memoryLogger(),
      });
      assert.equal(result.status, "ok");
      const [n] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM market_snapshots`;
      assert.equal(n!.n, 98);
      const [run] = await sql<Row[]>`SELECT rows_rejected, rejections FROM ingest_runs WHERE id = ${result
        .runId!}`;
      const rows = defaultMarkets();
      assert.equal(run!.rows_rejected, 3);
      assert.deepEqual(run!.rejections, [
        { coin_id: rows[3]!.id, reason: "current_price: Invalid input: expected number, received null" },
        { coin_id: rows[4]!.id, reason: "total_volume: Invalid input: expected number, received string" },
        { coin_id: "bitcoin", reason: "duplicate id in the response" },
      ]);
      const [nullable] = await sql<Row[]>`SELECT market_cap, high_24h FROM market_snapshots WHERE coin_id = ${
        String(rows[5]!.id)
      }`;
      assert.deepEqual(nullable, { market_cap: null, high_24h: null });
    });
  } finally {
    await fake.close();
  }
});

Deno.test("cycle: an empty page ends pagination; TRACK_COINS outside the top are fetched by id", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ sql }) => {
      const rows = defaultMarkets();
      const outside = String(rows[300]!.id);
      fake.fault("markets", { kind: "mutate", mutate: () => [] }, 1);
      const empty = await runCycle({
        sql,
        mode: "postgres",
        client: testClient(fake.url),
        settings: settings({ trackTop: 500, trackCoins: [outside, "no-such-coin"] }),
        log: memoryLogger(),
      });
      assert.equal(empty.status, "ok");
      assert.deepEqual(fake.requestsTo("markets").map((r) => r.query.get("page")), ["1", "1"]);
      assert.equal(fake.requestsTo("markets")[1]!.query.get("ids"), `${outside},no-such-coin`);
      const [run] = await sql<Row[]>`SELECT rejections FROM ingest_runs WHERE id = ${empty.runId!}`;
      assert.deepEqual(run!.rejections, [{
        coin_id: "no-such-coin",
        reason: "usd: not returned by /coins/markets (unknown or inactive id)",
      }]);
      const stored = await sql<{ coin_id: string }[]>`SELECT coin_id FROM market_snapshots`;
      assert.deepEqual(stored.map((s) => s.coin_id), [outside]);
    });
  } finally {
    await fake.close();
  }
});

Deno.test("cycle: three currencies through /simple/price cost the planned calls", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ sql }) => {
      const result = await runCycle({
        sql,
        mode: "postgres",
        client: testClient(fake.url),
        settings: settings({ vsCurrencies: ["usd", "eur", "btc"], budget: { strategy: "simple_price" } }),
        log: memoryLogger(),
      });
      assert.equal(result.status, "ok");
      assert.deepEqual(result.calls, { "200": 3 }); // markets + simple/price + global, as planned
      const counts = await sql<{ vs_currency: string; n: number }[]>`
        SELECT vs_currency, count(*)::int AS n FROM market_snapshots GROUP BY 1 ORDER BY 1`;
      assert.deepEqual([...counts], [{ vs_currency: "btc", n: 100 }, { vs_currency: "eur", n: 100 }, {
        vs_currency: "usd",
        n: 100,
      }]);
      const [eur] = await sql<{ usd: number; eur: number }[]>`
        SELECT u.price AS usd, e.price AS eur FROM market_snapshots u JOIN market_snapshots e USING (coin_id)
        WHERE coin_id = 'bitcoin' AND u.vs_currency = 'usd' AND e.vs_currency = 'eur'`;
      const caps = recordedJson<{ data: { total_market_cap: Record<string, number> } }>(RECORDED.global).data
        .total_market_cap;
      assert(Math.abs(eur!.eur / eur!.usd - caps.eur! / caps.usd!) < 1e-9);
    });
  } finally {
    await fake.close();
  }
});

Deno.test("cycle: failed calls make the cycle partial (some data) or failed (none), with the reason", async () => {
  const fake = await FakeCoinGecko.start();
  try {
    await withTestDatabase("postgres", async ({ sql }) => {
      fake.fault("global", {
        kind: "status",
        status: 503,
        body: "Service Unavailable",
        contentType: "text/plain",
      }, Infinity);
      const partial = await runCycle({
        sql,
        mode: "postgres",
        client: testClient(fake.url),
        settings: settings(),
        log: memoryLogger(),
      });
      assert.equal(partial.status, "partial");
      assert.equal(partial.error, "GET /global failed after 3 attempts: HTTP 503: Service Unavailable");
      assert.equal(partial.rowsWritten, 100);
      fake.clearFaults();
      fake.fault("markets", { kind: "truncate" }, Infinity);
      const failed = await runCycle({
        sql,
        mode: "postgres",
        client: testClient(fake.url),
        settings: settings(),
        log: memoryLogger(),
      });
      assert.equal(failed.status, "failed");
      assert.match(failed.error!, /^GET \/coins\/markets: HTTP 200 with a body that is not valid JSON/);
      const runs = await sql<Row[]>`SELECT status, error, api_calls FROM ingest_runs ORDER BY id`;
      assert.deepEqual(runs.map((r) => r.status), ["partial", "failed"]);
      assert.deepEqual(runs[0]!.api_calls, { "200": 1, "503": 3 });
    });
  } finally {
    await fake.close();
  }
});
