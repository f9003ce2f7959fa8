/** The client against the fake CoinGecko over real HTTP, with every kind of fault the API shows. */
import assert from "node:assert/strict";
import { FakeCoinGecko, RECORDED, recordedJson } from "../testing/fake_coingecko.ts";
import { testClient } from "../testing/collector.ts";
import { CallLog, CoinGeckoError, parseRetryAfter, summarizeBody } from "./client.ts";

async function withFake(fn: (fake: FakeCoinGecko) => Promise<void>) {
  const fake = await FakeCoinGecko.start();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

const KEY = "CG-test-key-do-not-log";

Deno.test("client: each plan sends its key header (and the public plan none), with a User-Agent", async () => {
  await withFake(async (fake) => {
    await testClient(fake.url, { planName: "demo", apiKey: KEY }).ping();
    await testClient(fake.url, { planName: "pro", apiKey: KEY }).ping();
    await testClient(fake.url, { planName: "public" }).ping();
    const [demo, pro, open] = fake.requestsTo("ping");
    assert.equal(demo!.headers.get("x-cg-demo-api-key"), KEY);
    assert.equal(demo!.headers.get("x-cg-pro-api-key"), null);
    assert.equal(pro!.headers.get("x-cg-pro-api-key"), KEY);
    assert.equal(open!.headers.get("x-cg-demo-api-key"), null);
    assert.equal(open!.headers.get("x-cg-pro-api-key"), null);
    assert.match(demo!.headers.get("user-agent") ?? "", /crypto-observatory/);
    // The key travels in a header only, never in the URL.
    assert(!fake.requests.some((r) => r.query.toString().includes(KEY)));
  });
});

Deno.test("client: 429 waits for Retry-After, then succeeds; the JSON, text and HTML bodies alike", async () => {
  await withFake(async (fake) => {
    for (const body of ["json", "text", "html"] as const) {
      fake.fault("global", { kind: "rate_limit", retryAfterSeconds: 1, body });
      const calls = new CallLog();
      const started = Date.now();
      const result = await testClient(fake.url).global(calls) as { data: { markets: number } };
      assert(Date.now() - started >= 950, `${body}: waited ${Date.now() - started} ms, Retry-After is 1 s`);
      assert.equal(
        result.data.markets,
        recordedJson<{ data: { markets: number } }>(RECORDED.global).data.markets,
      );
      assert.deepEqual(calls.counts, { "429": 1, "200": 1 });
    }
  });
});

Deno.test("client: a Retry-After too long to wait fails at once with the status", async () => {
  await withFake(async (fake) => {
    fake.fault("global", { kind: "rate_limit", retryAfterSeconds: 119, body: "text" });
    const client = testClient(fake.url, { maxRetryAfterMs: 5_000 });
    await assert.rejects(() => client.global(), (e: unknown) => {
      assert(e instanceof CoinGeckoError);
      assert.equal(e.status, "429");
      assert.match(
        e.message,
        /^GET \/global: rate limited, Retry-After 119 s is too long to wait \(HTTP 429: Throttled\)$/,
      );
      return true;
    });
    assert.equal(fake.requestsTo("global").length, 1);
    assert(client.limiter.delay() > 100_000, "the limiter holds every caller back");
  });
});

Deno.test("client: 500s are retried with backoff; persistent ones fail with a clear error", async () => {
  await withFake(async (fake) => {
    fake.fault("global", {
      kind: "status",
      status: 500,
      body: '{"status":500,"error":"Internal Server Error"}',
    }, 2);
    const calls = new CallLog();
    await testClient(fake.url).global(calls);
    assert.deepEqual(calls.counts, { "500": 2, "200": 1 });

    fake.fault("global", {
      kind: "status",
      status: 502,
      body: "<html><title>502 Bad Gateway</title></html>",
      contentType: "text/html",
    }, Infinity);
    await assert.rejects(() => testClient(fake.url).global(), {
      name: "CoinGeckoError",
      message: "GET /global failed after 3 attempts: HTTP 502: HTML page: 502 Bad Gateway",
    });
  });
});

Deno.test("client: a hanging server is a timeout, retried; a body that stalls too", async () => {
  await withFake(async (fake) => {
    fake.fault("ping", { kind: "hang" });
    const calls = new CallLog();
    await testClient(fake.url, { timeoutMs: 300 }).ping(calls);
    assert.deepEqual(calls.counts, { timeout: 1, "200": 1 });

    fake.fault("ping", { kind: "hang_body" }, Infinity);
    await assert.rejects(() => testClient(fake.url, { timeoutMs: 300, maxRetries: 1 }).ping(), {
      message: "GET /ping failed after 2 attempts: no answer within 300 ms",
    });
  });
});

Deno.test("client: truncated JSON and 4xx errors are clear one-line errors, not retried", async () => {
  await withFake(async (fake) => {
    fake.fault("global", { kind: "truncate" });
    await assert.rejects(() => testClient(fake.url).global(), (e: unknown) => {
      assert(e instanceof CoinGeckoError);
      assert.equal(e.status, "invalid_json");
      assert.match(
        e.message,
        /^GET \/global: HTTP 200 with a body that is not valid JSON \(.*; \d+ bytes\)$/,
      );
      return true;
    });
    await assert.rejects(
      () =>
        testClient(fake.url).range({
          coinId: "no-such-coin",
          vsCurrency: "usd",
          from: Date.now() - 86_400_000,
          to: Date.now(),
        }),
      {
        message:
          "GET /coins/no-such-coin/market_chart/range failed: HTTP 404: Could not find coin with the given id",
      },
    );
    await assert.rejects(
      () =>
        testClient(fake.url).range({
          coinId: "bitcoin",
          vsCurrency: "usd",
          from: Date.now() - 400 * 86_400_000,
          to: Date.now(),
        }),
      /HTTP 401: 10012 Your request exceeds the allowed time range/,
    );
    assert.equal(fake.requestsTo("range").length, 2, "no retries on 4xx");
  });
});

Deno.test("client: the key never appears in errors, even when the server echoes it", async () => {
  await withFake(async (fake) => {
    fake.fault("ping", { kind: "status", status: 400, body: `{"error":"invalid key ${KEY} for this host"}` });
    await assert.rejects(() => testClient(fake.url, { planName: "demo", apiKey: KEY }).ping(), (e: Error) => {
      assert(!e.message.includes(KEY), e.message);
      assert.match(e.message, /HTTP 400: invalid key <redacted> for this host/);
      return true;
    });
    // A network error message mentions the URL only (no key in it).
    const closed = testClient("http://127.0.0.1:1/api/v3", { planName: "demo", apiKey: KEY, maxRetries: 0 });
    await assert.rejects(() => closed.ping(), (e: Error) => !e.message.includes(KEY));
  });
});

Deno.test("client: Retry-After and error bodies are read defensively", () => {
  assert.equal(parseRetryAfter("119"), 119_000);
  assert.equal(
    parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    10_000,
  );
  assert.equal(parseRetryAfter("soon"), null);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(
    summarizeBody(
      Deno.readTextFileSync(
        new URL(RECORDED.rateLimit, new URL("../../../shared/coingecko/", import.meta.url)),
      ),
    ),
    "429 You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.",
  );
  assert.equal(summarizeBody("Throttled"), "Throttled");
  assert.equal(summarizeBody(""), "(empty body)");
  assert.equal(summarizeBody('{"error":"Missing parameter vs_currency"}'), "Missing parameter vs_currency");
  assert.equal(summarizeBody("error code: 1015"), "error code: 1015");
});
