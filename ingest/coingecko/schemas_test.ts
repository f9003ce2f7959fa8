/** The schemas against every recorded body, and record-by-record rejection of malformed ones. */
import assert from "node:assert/strict";
import { RECORDED, recordedJson } from "../testing/fake_coingecko.ts";
import {
  parseGlobal,
  parseMarkets,
  parseRange,
  parseSimplePrice,
  PingSchema,
  ResponseShapeError,
} from "./schemas.ts";

type Row = Record<string, unknown>;

Deno.test("schemas: every recorded /coins/markets page parses; only rows without a price are rejected", () => {
  for (
    const name of [
      RECORDED.top250,
      RECORDED.top100_2025,
      RECORDED.nullHeavy,
      "coins_markets_vs-usd_order-market_cap_desc_per_page-250_sparkline-true_pcp-1h_24h_7d_2023-09-07.json",
      "coins_markets_ids-bitcoin_vs-usd_2021-05-15.json",
      "coins_markets_ids-bitcoin_ethereum_vs-eth_2021-05-15.json",
      "docs_examples/oas_demo_example_coins_markets_sparkline_all-pcp_rehypothecated.json",
    ]
  ) {
    const body = recordedJson<Row[]>(name);
    const { coins, rejections } = parseMarkets(body);
    const priced = body.filter((r) => typeof r.current_price === "number");
    assert.equal(coins.length, priced.length, name);
    assert.equal(rejections.length, body.length - priced.length, name);
    for (const r of rejections) assert.match(r.reason, /^current_price: /);
  }
  const [btc] = parseMarkets(recordedJson(RECORDED.top100_2025)).coins;
  assert.equal(btc!.id, "bitcoin");
  assert.equal(btc!.last_updated.toISOString(), "2025-11-02T13:24:54.319Z");
  assert.equal(btc!.ath_date!.toISOString(), "2025-10-06T18:57:42.558Z");
  assert.equal(btc!.max_supply, 21_000_000);
  assert.equal(btc!.roi, null); // unknown-to-us fields pass through untouched
});

Deno.test("schemas: nulls, wrong types, bad dates and duplicates reject that coin only", () => {
  const page = recordedJson<Row[]>(RECORDED.top100_2025).slice(0, 8);
  page[0]!.current_price = null;
  page[1]!.current_price = "110233";
  page[2]!.market_cap = "big";
  page[3]!.last_updated = "yesterday";
  delete page[4]!.id;
  page[5]!.market_cap = null; // nullable: kept
  page[5]!.total_volume = undefined; // missing: kept
  page.push({ ...page[6]! }); // duplicated id
  const { coins, rejections } = parseMarkets(page);
  assert.deepEqual(coins.map((c) => c.id), [page[5]!.id, page[6]!.id, page[7]!.id]);
  assert.equal(coins[0]!.market_cap, null);
  assert.equal(coins[0]!.total_volume, null);
  assert.deepEqual(rejections.map((r) => r.coin_id), [
    page[0]!.id,
    page[1]!.id,
    page[2]!.id,
    page[3]!.id,
    null,
    page[6]!.id,
  ]);
  assert.match(rejections[0]!.reason, /^current_price: .*received null/);
  assert.match(rejections[1]!.reason, /^current_price: .*received string/);
  assert.match(rejections[2]!.reason, /^market_cap: /);
  assert.match(rejections[3]!.reason, /^last_updated: not a date: 'yesterday'/);
  assert.match(rejections[4]!.reason, /^id: /);
  assert.equal(rejections[5]!.reason, "duplicate id in the response");
  assert.deepEqual(parseMarkets([]), { coins: [], rejections: [] });
  assert.throws(() => parseMarkets({ error: "x" }), ResponseShapeError);
});

Deno.test("schemas: /global, recorded (2021) and documented (2026)", () => {
  const old = parseGlobal(recordedJson(RECORDED.global));
  assert.equal(old.snapshot!.time.toISOString(), "2021-05-18T13:55:59.000Z"); // updated_at 1621346159
  assert.equal(old.snapshot!.volume_change_pct_24h_usd, null); // absent in 2021
  assert.equal(typeof old.snapshot!.market_cap_percentage.btc, "number");
  const doc = parseGlobal(recordedJson("docs_examples/oas_demo_example_global.json"));
  assert.equal(doc.snapshot!.volume_change_pct_24h_usd, 33.064521460740046);
  const bad = parseGlobal({ data: { updated_at: "now" } });
  assert.equal(bad.snapshot, null);
  assert.deepEqual(bad.rejections.map((r) => r.coin_id), [null]);
  assert.match(bad.rejections[0]!.reason, /^\/global: data\.updated_at: /);
});

Deno.test("schemas: market_chart/range joins arrays on time, sorts, dedupes, rejects bad points", () => {
  const body = recordedJson<{ prices: unknown[][] }>(
    "coins_bitcoin_market_chart_range_vs-usd_7days_hourly_2023-02-19.json",
  );
  const clean = parseRange("bitcoin", body);
  assert.equal(clean.points.length, body.prices.length);
  assert.equal(clean.rejected, 0);
  assert(clean.points.every((p, i) => i === 0 || p.time > clean.points[i - 1]!.time));
  assert(clean.points.every((p) => p.marketCap !== null && p.totalVolume !== null));

  const messy = parseRange("x", {
    prices: [[3000, 3], [1000, 1], [1000, 1], [2000, null], ["t", 5], [4000, -1]],
    market_caps: [[1000, 10]], // shorter than prices
  });
  assert.deepEqual(messy.points, [
    { time: 1000, price: 1, marketCap: 10, totalVolume: null },
    { time: 3000, price: 3, marketCap: null, totalVolume: null },
  ]);
  assert.equal(messy.rejected, 3);
  assert.match(
    messy.rejections[0]!.reason,
    /^3 range point\(s\) rejected, first: bad price point \[2000,null\]/,
  );
  assert.throws(() => parseRange("x", "Throttled"), ResponseShapeError);
});

Deno.test("schemas: /simple/price (documented example with every include flag) and /ping", () => {
  const body = recordedJson("docs_examples/oas_demo_example_simple_price_include-all-flags.json");
  const { quotes, rejections } = parseSimplePrice(body, ["usd"]);
  assert.equal(rejections.length, 0);
  assert.equal(quotes.length, 1);
  assert.equal(quotes[0]!.coin_id, "bitcoin");
  assert.equal(typeof quotes[0]!.market_cap, "number");
  assert(quotes[0]!.time.getTime() > 0);
  // An unknown currency comes back as a coin without that key: rejected with a reason, other coins kept.
  const partial = parseSimplePrice({ bitcoin: { last_updated_at: 1, usd: 1 }, eth: { last_updated_at: 1 } }, [
    "usd",
  ]);
  assert.deepEqual(partial.quotes.map((q) => q.coin_id), ["bitcoin"]);
  assert.deepEqual(partial.rejections, [{ coin_id: "eth", reason: "/simple/price: no usd price" }]);
  assert(PingSchema.safeParse(recordedJson(RECORDED.ping)).success);
});
