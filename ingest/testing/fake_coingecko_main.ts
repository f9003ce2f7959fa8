/**
 * Run the fake CoinGecko on its own (demo, seed, benchmarks): prints one JSON line with its base URL,
 * then serves until killed.
 *   deno run -A ingest/testing/fake_coingecko_main.ts                 observation times follow the clock
 *   deno run -A ingest/testing/fake_coingecko_main.ts --simulate 5    each cycle (two requests: markets and
 *                                                                     global) is 5 minutes later, starting
 *                                                                     in the past so 10,000 cycles end now
 */
import { parseArgs } from "node:util";
import { FakeCoinGecko } from "./fake_coingecko.ts";

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { simulate: { type: "string" } } });
  const stepMs = values.simulate ? Number(values.simulate) * 60_000 : 0;
  const start = Date.now() - 10_000 * stepMs;
  let fake: FakeCoinGecko | undefined = undefined;
  const clock = stepMs > 0
    ? () => start + Math.floor((fake?.requests.length ?? 0) / 2) * stepMs
    : () => Date.now();
  fake = await FakeCoinGecko.start({ clock });
  console.log(JSON.stringify({ url: fake.url }));
  const stop = () => fake!.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
