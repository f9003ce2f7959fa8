/**
 * Measures what the observatory stores per coin and year, on the real schema, in both storage modes:
 *
 *   deno run -A docker/measure_storage.ts [coins=10] [days=28]
 *
 * Loads `days` of 5-minute snapshots for `coins` coins into a throwaway database (withTestDatabase, so
 * DATABASE_URL picks the server), refreshes the candles, and prints bytes per row (table + indexes +
 * TOAST) and the extrapolation per coin and year. TimescaleDB mode also compresses every chunk, as the
 * columnstore policy does after 14 days, and measures again. The rows start from a real /coins/markets
 * page (every column CoinGecko fills) and move as random walks, so the floats are as varied as real
 * prices; the README's scaling notes quote this script's output.
 */
import { refreshCandles } from "../ingest/db/candles.ts";
import { storageModes, withTestDatabase } from "../ingest/testing/db.ts";

const COINS = Number(Deno.args[0] ?? 10);
const DAYS = Number(Deno.args[1] ?? 28);
const MARKETS_PAGE = new URL(
  "../../shared/coingecko/coins_markets_vs-usd_order-market_cap_desc_per_page-100_page-1_2025-11-02.json",
  import.meta.url,
);
const GLOBAL = new URL("../../shared/coingecko/global_2021-05-18.json", import.meta.url);

interface MarketRow {
  id: string;
  symbol: string;
  name: string;
  current_price: number;
  circulating_supply: number | null;
  total_supply: number | null;
  max_supply: number | null;
  market_cap_rank: number | null;
  total_volume: number | null;
  ath: number | null;
  ath_date: string | null;
  atl: number | null;
  atl_date: string | null;
}

const page = JSON.parse(await Deno.readTextFile(MARKETS_PAGE)) as MarketRow[];
const coins = page.slice(0, COINS);
const end = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 7 * 86_400_000);
const start = new Date(end.getTime() - DAYS * 86_400_000);
const rowsPerCoinYear = { "1 min (pro)": 525_600, "5 min (public)": 105_120, "10 min (demo)": 52_560 };

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

for (const mode of await storageModes()) {
  await withTestDatabase(mode, async ({ sql }) => {
    await sql`INSERT INTO coins (id, symbol, name)
      SELECT * FROM unnest(${coins.map((c) => c.id)}::text[], ${coins.map((c) => c.symbol)}::text[],
        ${coins.map((c) => c.name)}::text[])`;
    // One random walk per coin: log-price steps of ~0.25% per 5 minutes; volume, 24h figures and the
    // percentage changes move with it; supplies, rank and ATH/ATL stay as CoinGecko reported them.
    await sql`
      WITH c AS (
        SELECT * FROM unnest(${coins.map((c) => c.id)}::text[], ${
      coins.map((c) => c.current_price)
    }::float8[],
          ${coins.map((c) => c.circulating_supply)}::float8[], ${coins.map((c) => c.total_supply)}::float8[],
          ${coins.map((c) => c.max_supply)}::float8[], ${coins.map((c) => c.market_cap_rank)}::int[],
          ${coins.map((c) => c.total_volume)}::float8[], ${coins.map((c) => c.ath)}::float8[],
          ${coins.map((c) => c.ath_date)}::timestamptz[], ${coins.map((c) => c.atl)}::float8[],
          ${coins.map((c) => c.atl_date)}::timestamptz[])
          AS c(id, price, circulating, total, max, rank, volume, ath, ath_date, atl, atl_date)
      ), walk AS (
        SELECT c.*, t.time,
          c.price * exp(sum((random() - 0.5) * 0.0087) OVER (PARTITION BY c.id ORDER BY t.time)) AS p,
          c.volume * (0.8 + random() * 0.4) AS v
        FROM c, generate_series(${start}::timestamptz, ${end}::timestamptz - INTERVAL '5 minutes',
          INTERVAL '5 minutes') AS t(time)
      )
      INSERT INTO market_snapshots (time, coin_id, vs_currency, price, market_cap, fully_diluted_valuation,
        total_volume, circulating_supply, total_supply, max_supply, market_cap_rank, high_24h, low_24h,
        price_change_pct_1h, price_change_pct_24h, price_change_pct_7d, price_change_pct_30d,
        price_change_pct_1y, ath, ath_change_pct, ath_date, atl, atl_change_pct, atl_date, source)
      SELECT time, id, 'usd', p, p * circulating, p * coalesce(max, total), v, circulating, total, max, rank,
        p * (1 + random() * 0.03), p * (1 - random() * 0.03), (random() - 0.5) * 2, (random() - 0.5) * 8,
        (random() - 0.5) * 20, (random() - 0.5) * 40, (random() - 0.5) * 150, ath, (p / ath - 1) * 100,
        ath_date, atl, (p / atl - 1) * 100, atl_date, 'markets'
      FROM walk`;
    const global = JSON.parse(await Deno.readTextFile(GLOBAL)).data;
    for (let i = 0; i < 1_000; i++) {
      await sql`INSERT INTO global_snapshots (time, active_cryptocurrencies, markets,
          market_cap_change_pct_24h_usd, total_market_cap, total_volume, market_cap_percentage)
        VALUES (${new Date(
        start.getTime() + i * 300_000,
      )}, ${global.active_cryptocurrencies}, ${global.markets},
          ${global.market_cap_change_percentage_24h_usd}, ${sql.json(global.total_market_cap)},
          ${sql.json(global.total_volume)}, ${sql.json(global.market_cap_percentage)})`;
    }
    await refreshCandles(sql, mode, start, end);
    await sql`ANALYZE`;

    const count = async (table: string) =>
      (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(table)}`)[0]!.n;
    const size = async (relation: string) => {
      if (mode === "postgres") {
        return Number((await sql`SELECT pg_total_relation_size(${relation}::regclass) AS b`)[0]!.b);
      }
      // Hypertables and continuous aggregates (their materialization hypertable) with all chunks.
      const [row] = await sql`
        SELECT coalesce(
          (SELECT hypertable_size(format('%I.%I', materialization_hypertable_schema,
            materialization_hypertable_name)::regclass)
           FROM timescaledb_information.continuous_aggregates WHERE view_name = ${relation}),
          (SELECT hypertable_size(${relation}::regclass)
           FROM timescaledb_information.hypertables WHERE hypertable_name = ${relation}),
          pg_total_relation_size(${relation}::regclass)) AS b`;
      return Number(row!.b);
    };
    const report = async (label: string) => {
      console.log(`\n## ${mode}: ${label} (${COINS} coins, ${DAYS} days of 5-minute snapshots)`);
      console.log("| relation | rows | size | bytes/row | per coin-year |");
      console.log("|---|---:|---:|---:|---|");
      for (const table of ["market_snapshots", "candles_1h", "candles_1d", "global_snapshots"]) {
        const rows = await count(table);
        const bytes = await size(table);
        const perRow = bytes / rows;
        let perYear: string;
        if (table === "market_snapshots") {
          perYear = Object.entries(rowsPerCoinYear).map(([every, n]) => `${every}: ${mib(perRow * n)}`).join(
            ", ",
          );
        } else if (table === "candles_1h") perYear = mib(perRow * 8_760);
        else if (table === "candles_1d") perYear = mib(perRow * 365);
        else perYear = `per year at 5 min (not per coin): ${mib(perRow * 105_120)}`;
        console.log(`| ${table} | ${rows} | ${mib(bytes)} | ${perRow.toFixed(0)} | ${perYear} |`);
      }
    };
    await report("uncompressed");
    if (mode === "timescaledb") {
      await sql`SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('market_snapshots') c`;
      await sql`ANALYZE`;
      await report("every market_snapshots chunk compressed (columnstore)");
    }
  });
}
