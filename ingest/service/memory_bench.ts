/**
 * Resident memory of the service over 10,000 simulated cycles: the real Service (client, validation,
 * writes, candle refresh, metrics, logs) against the fake CoinGecko running in another process (so
 * its memory is not counted), the rate limiter off, simulated time (each cycle 5 minutes later).
 * Target: flat, at most 80 MB. The soak runs once; the bench's timing is that of awaiting its result.
 * The bench harness adds its own memory: for the service's figure run the soak alone, with the V8
 * limits proposed for `deno task start`:
 *   deno run -A --v8-flags=--max-old-space-size=64,--max-semi-space-size=2 ingest/service/memory_bench.ts
 */
import { benchDatabase } from "../bench/db.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { CoinGeckoClient } from "../coingecko/client.ts";
import { unlimited } from "../coingecko/rate_limiter.ts";
import { Service } from "./service.ts";
import postgres from "postgres";
import { noDelaySocket } from "../collector/pg.ts";

const CYCLES = 10_000;
const MB = 1024 * 1024;

export async function soak(cycles = CYCLES, onSample?: (i: number) => void): Promise<string> {
  const fake = new Deno.Command(Deno.execPath(), {
    // Simulated time: each cycle 5 minutes after the previous one, as the service would see it.
    args: [
      "run",
      "-A",
      new URL("../testing/fake_coingecko_main.ts", import.meta.url).pathname,
      "--simulate",
      "5",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = fake.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { url } = JSON.parse((await reader.read()).value!.split("\n")[0]!) as { url: string };
  const db = await benchDatabase("postgres");
  try {
    const config = loadConfig({
      DATABASE_URL: db.url,
      COINGECKO_PLAN: "pro",
      COINGECKO_API_KEY: "bench",
      COINGECKO_BASE_URL: url,
      TRACK_TOP: "100",
      SCHEDULE: "*/5 * * * *",
      BACKFILL_DAYS: "0",
    });
    const log = createLogger("warn", () => {});
    const holder: { service?: Service } = {};
    const client = new CoinGeckoClient({
      plan: config.plan,
      baseUrl: config.baseUrl,
      apiKey: config.apiKey,
      limiter: unlimited(),
      onCall: (endpoint, status) => holder.service?.metrics.apiCalls.add({ endpoint, status }),
    });
    // TCP_NODELAY, as proposed for ingest/db/connect.ts: without it each statement after a large one
    // waits ~40 ms for a delayed ACK, and 10,000 cycles take an hour instead of minutes.
    const sql = postgres(
      db.url,
      { max: 4, onnotice: () => {}, socket: noDelaySocket } as postgres.Options<never>,
    );
    const service = new Service({ config, log, client, http: false, sql });
    holder.service = service;
    await service.start();
    await service.idle();
    const samples: number[] = [];
    const started = performance.now();
    for (let i = 1; i <= cycles; i++) {
      await service.runCycle("soak");
      if (i % 500 === 0) {
        samples.push(Deno.memoryUsage().rss / MB);
        onSample?.(i);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const ok = service.metrics.cycles.get({ status: "ok" });
    await service.stop();
    const firstHalf = samples.slice(2, samples.length / 2);
    const secondHalf = samples.slice(samples.length / 2);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return `memory over ${cycles} cycles (${ok} ok, ${seconds.toFixed(0)} s): RSS ${
      samples.map((s) => s.toFixed(0)).join(" ")
    } MB; max ${Math.max(...samples).toFixed(1)} MB; mean of 2nd half - 1st half ${
      (avg(secondHalf) - avg(firstHalf)).toFixed(1)
    } MB (target: flat, <= 80 MB)`;
  } finally {
    fake.kill("SIGTERM");
    await fake.status;
    await db.drop();
  }
}

if (import.meta.main) {
  // deno run -A ingest/service/memory_bench.ts [cycles]: the soak alone, printing heap figures as it goes
  console.log(
    await soak(Number(Deno.args[0] ?? CYCLES), (i) => {
      const m = Deno.memoryUsage();
      console.log(
        JSON.stringify({
          cycle: i,
          rss_mb: Math.round(m.rss / MB),
          heap_used_mb: Math.round(m.heapUsed / MB),
        }),
      );
    }),
  );
}

let result: Promise<string> | undefined;
if (!import.meta.main) {
  Deno.bench({
    name: `service RSS over ${CYCLES.toLocaleString("en-US")} cycles (see the printed line)`,
    async fn() {
      if (!result) {
        result = soak();
        console.log(await result);
      }
      await result;
    },
  });
}
