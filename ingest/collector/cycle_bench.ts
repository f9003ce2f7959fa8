/**
 * A live cycle for 1,000 coins with the network excluded: validate the /coins/markets pages (real
 * recorded rows, re-labelled to 1,000 distinct coins), write them in one transaction and refresh the
 * candles. Target: at most 250 ms. Each iteration is one minute later, so every row is new.
 */
import { benchDatabase } from "../bench/db.ts";
import { defaultMarkets, RECORDED, recordedJson } from "../testing/fake_coingecko.ts";
import { parseGlobal, parseMarkets } from "../coingecko/schemas.ts";
import { storageModes } from "../testing/db.ts";
import { type Collected, snapshotFromMarket, writeCollected } from "./cycle.ts";

const recorded = defaultMarkets().filter((r) => typeof r.current_price === "number");
const base = Date.parse("2026-01-05T00:00:00Z");

function pages(iteration: number): Record<string, unknown>[][] {
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const row = recorded[i % recorded.length]!;
    return {
      ...row,
      id: `${row.id}-${Math.floor(i / recorded.length)}`,
      last_updated: new Date(base + iteration * 60_000 + (i % 50) * 1000).toISOString(),
    };
  });
  return [0, 1, 2, 3].map((p) => JSON.parse(JSON.stringify(rows.slice(p * 250, p * 250 + 250))));
}

for (const mode of await storageModes()) {
  const db = await benchDatabase(mode);
  const global = recordedJson(RECORDED.global);
  let iteration = 0;
  Deno.bench({
    name: `live cycle, 1,000 coins: validate + write + refresh (${mode})`,
    group: "cycle",
    async fn(b) {
      const input = pages(iteration++);
      b.start();
      const seen = new Set<string>();
      const data: Collected = { coins: [], snapshots: [], global: null, rejections: [], errors: [] };
      for (const page of input) {
        const parsed = parseMarkets(page, seen);
        for (const c of parsed.coins) {
          data.coins.push({ id: c.id, symbol: c.symbol, name: c.name, image_url: c.image });
          data.snapshots.push(snapshotFromMarket(c, "usd"));
        }
      }
      data.global = parseGlobal(global).snapshot;
      const { inserted } = await writeCollected(db.sql, mode, data, new Date());
      b.end();
      if (inserted.length !== 1000) throw new Error(`inserted ${inserted.length}`);
    },
  });
  globalThis.addEventListener("unload", () => void db.drop());
}
