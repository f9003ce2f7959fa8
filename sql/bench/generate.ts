/**
 * Benchmark data: `days` of 5-minute snapshots for `coins` coins ending now, as random walks seeded from
 * the real 2021 daily history (each day's walk is a Brownian bridge in log price ending at that day's real
 * close, its noise scaled by the day's real move), plus 5-minute global snapshots. Written with COPY in
 * 10-day batches, each followed by the candle refresh the collector would do.
 */
import type { Sql } from "../../ingest/db/connect.ts";
import { refreshCandles } from "../../ingest/db/candles.ts";
import type { StorageMode } from "../../ingest/db/migrate.ts";
import { historyCoinList, loadHistory } from "../../ingest/testing/history.ts";

const STEP = 5 * 60_000;
const DAY = 86_400_000;
const STEPS_PER_DAY = DAY / STEP;

/** Deterministic PRNG (mulberry32) and a standard normal from it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

interface CoinSeries {
  id: string;
  symbol: string;
  name: string;
  closes: number[];
  supply: number;
  volumes: number[];
}

function pickCoins(count: number): CoinSeries[] {
  const picked: CoinSeries[] = [];
  for (const coin of historyCoinList()) {
    if (picked.length >= count) break;
    const history = loadHistory(coin.id);
    if (history.length < 300 || history.some((p) => !(p.price > 0))) continue;
    const last = history.at(-1)!;
    picked.push({
      ...coin,
      closes: history.map((p) => p.price),
      supply: last.marketCap && last.price ? last.marketCap / last.price : 1e9,
      volumes: history.map((p) => p.totalVolume ?? 0),
    });
  }
  if (picked.length < count) {
    throw new Error(`only ${picked.length} coins with a full history, asked ${count}`);
  }
  return picked;
}

async function copy(sql: Sql, statement: string, lines: Iterable<string>): Promise<void> {
  const writable = await sql.unsafe(statement).writable();
  let buffer = "";
  for (const line of lines) {
    buffer += line;
    if (buffer.length > 1 << 20) {
      if (!writable.write(buffer)) await new Promise((resolve) => writable.once("drain", resolve));
      buffer = "";
    }
  }
  await new Promise<void>((resolve, reject) => {
    writable.once("error", reject);
    writable.end(buffer, () => resolve());
  });
}

export interface GeneratedRange {
  from: Date;
  to: Date;
  coins: string[];
  rows: number;
}

export async function generate(
  sql: Sql,
  mode: StorageMode,
  options: { coins: number; days: number; log?: (message: string) => void },
): Promise<GeneratedRange> {
  const log = options.log ?? (() => {});
  const series = pickCoins(options.coins);
  const end = Math.floor(Date.now() / STEP) * STEP;
  const start = end - options.days * DAY;
  // Keep every generated row: the candle refresh never reaches behind the raw-retention horizon.
  await sql`SELECT internal.set_raw_retention(${`${options.days + 30} days`}::interval)`;
  await sql`INSERT INTO coins ${sql(series.map((c) => ({ id: c.id, symbol: c.symbol, name: c.name })))}`;

  const normal = random(20210101);
  const price = series.map((c) => c.closes[0]!);
  const ath = series.map(() => 0);
  const athTime = series.map(() => start);
  let rows = 0;
  const BATCH_DAYS = 10;
  for (let day = 0; day < options.days; day += BATCH_DAYS) {
    const batchStart = start + day * DAY;
    const batchEnd = Math.min(batchStart + BATCH_DAYS * DAY, end);
    const lines = function* () {
      for (let d = day; d < Math.min(day + BATCH_DAYS, options.days); d++) {
        // One Brownian bridge per coin and day, in log price, ending at the real close of the day.
        const paths = series.map((c, i) => {
          const target = Math.log(c.closes[(d + 1) % c.closes.length]!);
          const from = Math.log(price[i]!);
          const sigma = Math.max(Math.abs(target - from), 0.01) / Math.sqrt(STEPS_PER_DAY);
          const walk = [0];
          for (let k = 1; k <= STEPS_PER_DAY; k++) walk.push(walk[k - 1]! + sigma * normal());
          const drift = walk[STEPS_PER_DAY]!;
          return walk.slice(1).map((w, k) =>
            Math.exp(from + (target - from) * (k + 1) / STEPS_PER_DAY + w - drift * (k + 1) / STEPS_PER_DAY)
          );
        });
        for (let k = 0; k < STEPS_PER_DAY; k++) {
          const time = start + d * DAY + k * STEP;
          const stamp = new Date(time).toISOString();
          for (let i = 0; i < series.length; i++) {
            const c = series[i]!, p = paths[i]![k]!;
            price[i] = p;
            if (p > ath[i]!) [ath[i], athTime[i]] = [p, time];
            const volume = c.volumes[d % c.volumes.length]! * (1 + 0.05 * normal());
            yield `${stamp}\t${c.id}\tusd\t${p}\t${p * c.supply}\t${Math.max(volume, 0)}\t${ath[i]}\t${
              new Date(athTime[i]!).toISOString()
            }\tmarkets\n`;
          }
        }
      }
    };
    await copy(
      sql,
      "COPY market_snapshots (time, coin_id, vs_currency, price, market_cap, total_volume, ath, ath_date, source) FROM STDIN",
      lines(),
    );
    rows += series.length * STEPS_PER_DAY * (Math.min(day + BATCH_DAYS, options.days) - day);
    await refreshCandles(sql, mode, new Date(batchStart), new Date(batchEnd - 1));
    log(`generated ${rows} rows up to ${new Date(batchEnd).toISOString()}`);
  }

  await copy(sql, GLOBAL_COPY, globalLines(series.slice(0, 10).map((c) => c.symbol), start, end));
  log("generated global snapshots");
  return { from: new Date(start), to: new Date(end), coins: series.map((c) => c.id), rows };
}

const GLOBAL_COPY =
  "COPY global_snapshots (time, active_cryptocurrencies, markets, market_cap_change_pct_24h_usd, total_market_cap, total_volume, market_cap_percentage) FROM STDIN";

/** Global snapshots every 5 minutes in [from, to): 60 currencies (like /global), dominance of `top`. */
function* globalLines(top: string[], from: number, to: number): Generator<string> {
  const currencies = [
    "usd",
    "eur",
    "gbp",
    "jpy",
    "btc",
    "eth",
    ...Array.from({ length: 54 }, (_, i) => `c${i}`),
  ];
  for (let time = from; time < to; time += STEP) {
    const total = 2e12 * (1 + 0.1 * Math.sin(time / (30 * DAY)));
    const caps = Object.fromEntries(currencies.map((c, i) => [c, total * (1 + i / 10)]));
    const volumes = Object.fromEntries(currencies.map((c, i) => [c, total * 0.05 * (1 + i / 10)]));
    const shares = Object.fromEntries(
      top.map((c, i) => [c, (40 - 3 * i) * (1 + 0.01 * Math.sin(time / DAY + i))]),
    );
    yield `${new Date(time).toISOString()}\t12000\t800\t0.5\t${JSON.stringify(caps)}\t${
      JSON.stringify(volumes)
    }\t${JSON.stringify(shares)}\n`;
  }
}

/**
 * Bring a generated database up to now, as a running collector would: 5-minute snapshots from the newest one
 * (each coin's random walk continued, volatility ~1% a day), the candles refreshed. A benchmark of "as of now"
 * queries on data that stopped hours ago would measure the fallbacks for stale coins instead.
 */
export async function topUp(
  sql: Sql,
  mode: StorageMode,
  log: (message: string) => void = () => {},
): Promise<number> {
  const last = await sql<
    {
      coin_id: string;
      time: Date;
      price: number;
      market_cap: number;
      total_volume: number;
      ath: number;
      ath_date: Date;
    }[]
  >`
    SELECT DISTINCT ON (coin_id) coin_id, time, price, market_cap, total_volume, ath, ath_date
    FROM market_snapshots
    WHERE time > (SELECT max(time) FROM market_snapshots) - INTERVAL '10 minutes'
    ORDER BY coin_id, time DESC`;
  if (!last.length) return 0;
  const newest = Math.max(...last.map((r) => r.time.getTime()));
  const end = Math.floor(Date.now() / STEP) * STEP;
  if (end <= newest) return 0;
  const normal = random(newest);
  const state = last.map((r) => ({ ...r, supply: r.market_cap / r.price, ath_date: r.ath_date.getTime() }));
  let rows = 0;
  const lines = function* () {
    for (let time = newest + STEP; time <= end; time += STEP) {
      const stamp = new Date(time).toISOString();
      for (const c of state) {
        c.price *= Math.exp(0.01 / Math.sqrt(STEPS_PER_DAY) * normal());
        if (c.price > c.ath) [c.ath, c.ath_date] = [c.price, time];
        rows++;
        yield `${stamp}\t${c.coin_id}\tusd\t${c.price}\t${c.price * c.supply}\t${c.total_volume}\t${c.ath}\t${
          new Date(c.ath_date).toISOString()
        }\tmarkets\n`;
      }
    }
  };
  await copy(
    sql,
    "COPY market_snapshots (time, coin_id, vs_currency, price, market_cap, total_volume, ath, ath_date, source) FROM STDIN",
    lines(),
  );
  const [global] = await sql<{ symbols: string[] }[]>`
    SELECT coalesce((SELECT array_agg(k ORDER BY v DESC) FROM jsonb_each_text(market_cap_percentage) AS e (k, v)), '{}')
      AS symbols
    FROM global_snapshots ORDER BY time DESC LIMIT 1`;
  await copy(sql, GLOBAL_COPY, globalLines(global?.symbols ?? [], newest + STEP, end + STEP));
  await refreshCandles(sql, mode, new Date(newest), new Date(end));
  log(`topped up ${rows} rows to ${new Date(end).toISOString()}`);
  return rows;
}
