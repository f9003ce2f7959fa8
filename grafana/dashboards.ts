/**
 * The five provisioned dashboards, generated as classic (v1) dashboard JSON, schemaVersion 41.
 *
 *   deno run --allow-write=grafana grafana/dashboards.ts     # rewrites grafana/provisioning/dashboards/observatory/
 *
 * The output is committed; dashboards_test.ts fails when it differs from what this file generates.
 *
 * SQL conventions (see grafana/macros.ts for how Grafana expands them):
 * - single-value variables are quoted by the query ('$currency'), multi-value ones are not (IN ($coins),
 *   ARRAY[$coins]): that is how the Postgres datasource formats them;
 * - daily data uses the buckets overlapping the range (bucket > from - 1 day), so short ranges still show the
 *   day they fall in; figures that need several days of returns (volatility, correlation, risk/return) use at
 *   least the last 30 days and say so in the panel description;
 * - `$__timeGroupAlias` (time_bucket) only on market-wide and pipeline series: it works in both storage modes
 *   (sql/302_time_bucket.postgres.sql); coin series read the precomputed candles instead.
 */

export const DATASOURCE = { type: "grafana-postgresql-datasource", uid: "observatory" } as const;
export const PANEL_PLUGIN_ID = "cryptoobs-volroi-panel";
export const OUTPUT_DIR = new URL("./provisioning/dashboards/observatory/", import.meta.url);
const TAG = "crypto-observatory";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface Target extends JsonObject {
  refId: string;
  rawSql: string;
  format: "table" | "time_series";
}

interface PanelInput {
  type: string;
  title: string;
  description?: string;
  w: number;
  h: number;
  targets: Target[];
  fieldConfig?: JsonObject;
  options?: JsonObject;
  transformations?: Json[];
  maxDataPoints?: number;
}

const table = (rawSql: string, refId = "A"): Target => ({
  refId,
  datasource: DATASOURCE,
  editorMode: "code",
  rawQuery: true,
  format: "table",
  rawSql,
});

const series = (rawSql: string, refId = "A"): Target => ({ ...table(rawSql, refId), format: "time_series" });

/** A coin-detail link for any field holding a coin id (the custom panel uses the same URL). */
export const COIN_DETAIL_URL =
  "/d/coin-detail/coin-detail?var-coin=${__data.fields.coin_id}&${currency:queryparam}" +
  "&${__url_time_range}";
const coinLink = { title: "Coin detail", url: COIN_DETAIL_URL };

const byName = (name: string, properties: JsonObject[]): JsonObject => ({
  matcher: { id: "byName", options: name },
  properties: properties as Json[],
});
const prop = (id: string, value: Json): JsonObject => ({ id, value });
const hidden = (name: string) => byName(name, [prop("custom.hidden", true)]);
const linked = (name: string) => byName(name, [prop("links", [coinLink])]);
const unit = (name: string, value: string) => byName(name, [prop("unit", value)]);
const signedColour = (name: string, unitName = "percent") =>
  byName(name, [
    prop("unit", unitName),
    prop("custom.cellOptions", { type: "color-text" }),
    prop("thresholds", {
      mode: "absolute",
      steps: [{ color: "red", value: null }, { color: "green", value: 0 }],
    }),
  ]);

const fieldDefaults = (defaults: JsonObject, overrides: JsonObject[] = []): JsonObject => ({
  defaults,
  overrides: overrides as Json[],
});

const statOptions = (extra: JsonObject = {}): JsonObject => ({
  reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
  colorMode: "value",
  graphMode: "area",
  justifyMode: "auto",
  textMode: "auto",
  orientation: "auto",
  ...extra,
});

// ---------------------------------------------------------------------------------------------------------------
// Template variables
// ---------------------------------------------------------------------------------------------------------------

const queryVariable = (
  name: string,
  label: string,
  query: string,
  options: { multi?: boolean; includeAll?: boolean; current: JsonObject; refresh?: number; sort?: number },
): JsonObject => ({
  type: "query",
  name,
  label,
  datasource: DATASOURCE,
  query,
  definition: query,
  refresh: options.refresh ?? 1,
  sort: options.sort ?? 0,
  multi: options.multi ?? false,
  includeAll: options.includeAll ?? false,
  current: options.current,
  options: [],
  hide: 0,
});

const currencyVariable = queryVariable(
  "currency",
  "Currency",
  // The currencies of the latest market. Not a DISTINCT over the daily candles: in TimescaleDB their current
  // day is aggregated from all its hourly candles on every query (README, "Performance").
  "SELECT DISTINCT vs_currency FROM latest_snapshots() ORDER BY 1",
  { current: { text: "usd", value: "usd" }, sort: 1 },
);

const COIN_OPTIONS =
  "SELECT upper(symbol) || ' · ' || name AS __text, coin_id AS __value FROM latest_market " +
  "WHERE vs_currency = '$currency' ORDER BY market_cap_rank NULLS LAST, coin_id";

const coinsVariable = queryVariable("coins", "Coins", COIN_OPTIONS, {
  multi: true,
  includeAll: true,
  current: { text: ["All"], value: ["$__all"] },
});

const coinVariable = queryVariable("coin", "Coin", COIN_OPTIONS, {
  current: { text: "BTC · Bitcoin", value: "bitcoin" },
});

const customVariable = (
  name: string,
  label: string,
  choices: [string, string][],
  current: string,
): JsonObject => ({
  type: "custom",
  name,
  label,
  query: choices.map(([text, value]) => text === value ? value : `${text} : ${value}`).join(","),
  current: { text: choices.find(([, v]) => v === current)?.[0] ?? current, value: current },
  options: choices.map(([text, value]) => ({ text, value, selected: value === current })),
  multi: false,
  includeAll: false,
  hide: 0,
});

const moversWindowVariable = customVariable(
  "window",
  "Window",
  [["1h", "1 hour"], ["24h", "24 hours"], ["7d", "7 days"], ["30d", "30 days"]],
  "24 hours",
);

const volatilityWindowVariable = customVariable(
  "window",
  "Volatility window (days)",
  [["7", "7"], ["30", "30"], ["90", "90"]],
  "30",
);

const amountVariable: JsonObject = {
  type: "textbox",
  name: "amount",
  label: "Amount invested",
  query: "1000",
  current: { text: "1000", value: "1000" },
  options: [{ text: "1000", value: "1000", selected: true }],
  hide: 0,
};

// ---------------------------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------------------------

/** Lays panels out left to right, wrapping at 24 columns, and numbers them. */
function layout(rows: PanelInput[][]): JsonObject[] {
  const panels: JsonObject[] = [];
  let y = 0;
  for (const row of rows) {
    let x = 0;
    let height = 0;
    for (const panel of row) {
      if (x + panel.w > 24) throw new Error(`panel '${panel.title}' does not fit in the 24-column row`);
      panels.push({
        id: panels.length + 1,
        type: panel.type,
        title: panel.title,
        ...(panel.description ? { description: panel.description } : {}),
        gridPos: { x, y, w: panel.w, h: panel.h },
        datasource: DATASOURCE,
        targets: panel.targets,
        fieldConfig: panel.fieldConfig ?? fieldDefaults({}),
        options: panel.options ?? {},
        ...(panel.transformations ? { transformations: panel.transformations } : {}),
        ...(panel.maxDataPoints ? { maxDataPoints: panel.maxDataPoints } : {}),
      });
      x += panel.w;
      height = Math.max(height, panel.h);
    }
    y += height;
  }
  return panels;
}

function dashboard(input: {
  uid: string;
  title: string;
  description: string;
  time: string;
  variables: JsonObject[];
  rows: PanelInput[][];
  refresh?: string;
}): JsonObject {
  return {
    id: null,
    uid: input.uid,
    title: input.title,
    description: input.description,
    tags: [TAG],
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: input.refresh ?? "5m",
    schemaVersion: 41,
    version: 1,
    time: { from: input.time, to: "now" },
    timepicker: {},
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: "grafana", uid: "-- Grafana --" },
        enable: true,
        hide: true,
        iconColor: "rgba(0, 211, 255, 1)",
        name: "Annotations & Alerts",
        type: "dashboard",
      }],
    },
    links: [{
      type: "dashboards",
      title: "Crypto Observatory",
      tags: [TAG],
      asDropdown: true,
      includeVars: true,
      keepTime: true,
      icon: "external link",
      targetBlank: false,
      tooltip: "",
      url: "",
    }, {
      // CoinGecko's API terms ask for this attribution wherever its data is shown.
      type: "link",
      title: "Data provided by CoinGecko",
      url: "https://www.coingecko.com",
      tooltip: "Prices, market caps and volumes come from the CoinGecko API",
      icon: "info",
      targetBlank: true,
      asDropdown: false,
      includeVars: false,
      keepTime: false,
      tags: [],
    }],
    templating: { list: input.variables },
    panels: layout(input.rows),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// SQL fragments
// ---------------------------------------------------------------------------------------------------------------

/**
 * The chart step of market-wide series: Grafana's interval for the panel (the range over its width), so a
 * chart reads one /global snapshot per point (global_market_between, dominance_between) however long the
 * range, instead of every 5-minute snapshot.
 */
const STEP = "make_interval(secs => $__interval_ms / 1000.0)";

/** At least the last 30 days: figures from daily returns need several days. */
const FROM_30D = "least($__timeFrom()::timestamptz, $__timeTo()::timestamptz - interval '30 days')";

/**
 * The range start, or the first collected price when the history is shorter than the range (the close of the
 * earliest hourly candle: the first instant price_at() knows a price).
 */
const FROM_OR_FIRST_DAY = "(SELECT returns_start('$currency', $__timeFrom()))"; // a sub-select: evaluated once

/**
 * Candles of the coins selected by `coinFilter`: hourly for ranges up to 7 days, daily beyond (for one coin,
 * coin_candles() chooses the level before planning: cheaper).
 */
const candlesInRange = (coinFilter: string) =>
  `
  SELECT bucket, coin_id, open, high, low, close, volume FROM candles_1h
  WHERE vs_currency = '$currency' AND ${coinFilter}
    AND bucket > $__timeFrom()::timestamptz - interval '1 hour' AND bucket <= $__timeTo()::timestamptz
    AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz <= interval '7 days'
  UNION ALL
  SELECT bucket, coin_id, open, high, low, close, volume FROM candles_1d
  WHERE vs_currency = '$currency' AND ${coinFilter}
    AND bucket > $__timeFrom()::timestamptz - interval '1 day' AND bucket <= $__timeTo()::timestamptz
    AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz > interval '7 days'`.trim();

const sql = (text: string) =>
  text.replace(/^\n/, "").replace(/\n\s*$/, "").split("\n").map((l) => l.trimEnd()).join("\n");

// ---------------------------------------------------------------------------------------------------------------
// 1. Market overview
// ---------------------------------------------------------------------------------------------------------------

function marketOverview(): JsonObject {
  const percentStat = (
    title: string,
    description: string,
    rawSql: string,
    extra: JsonObject = {},
  ): PanelInput => ({
    type: "stat",
    title,
    description,
    w: 4,
    h: 4,
    targets: [series(rawSql)],
    fieldConfig: fieldDefaults({ unit: "percent", decimals: 1, color: { mode: "thresholds" }, ...extra }),
    options: statOptions({ textMode: "value_and_name" }),
  });
  return dashboard({
    uid: "market-overview",
    title: "Market overview",
    description: "The whole market at a glance: size, dominance, movers, breadth and liquidity.",
    time: "now-7d",
    variables: [currencyVariable, coinsVariable, moversWindowVariable],
    rows: [
      [
        {
          type: "stat",
          title: "Total market cap",
          description: "CoinGecko's total crypto market cap (/global), with its history over the range.",
          w: 4,
          h: 4,
          targets: [series(sql(`
SELECT time, total_market_cap AS "Market cap"
FROM global_market_between('$currency', $__timeFrom(), $__timeTo(), ${STEP})
ORDER BY time`))],
          fieldConfig: fieldDefaults({
            unit: "short",
            decimals: 2,
            color: { mode: "fixed", fixedColor: "blue" },
          }),
          options: statOptions(),
        },
        {
          type: "stat",
          title: "24h volume",
          description: "CoinGecko's total 24h trading volume (/global).",
          w: 4,
          h: 4,
          targets: [series(sql(`
SELECT time, total_volume AS "Volume 24h"
FROM global_market_between('$currency', $__timeFrom(), $__timeTo(), ${STEP})
ORDER BY time`))],
          fieldConfig: fieldDefaults({
            unit: "short",
            decimals: 2,
            color: { mode: "fixed", fixedColor: "purple" },
          }),
          options: statOptions(),
        },
        percentStat(
          "BTC dominance",
          "Bitcoin's share of the total market cap.",
          sql(`
SELECT time, dominance_pct AS "BTC"
FROM dominance_between($__timeFrom(), $__timeTo(), ${STEP})
WHERE symbol = 'btc'
ORDER BY time`),
          { color: { mode: "fixed", fixedColor: "orange" } },
        ),
        percentStat(
          "Top gainer ($window)",
          "The coin that rose most over the window (stablecoins excluded).",
          sql(`
SELECT now() AS time, upper(symbol) AS coin, change_pct
FROM top_movers('$currency', '$window'::interval, 1)
WHERE direction = 'gainer'`),
          {
            displayName: "${__field.labels.coin}",
            thresholds: { mode: "absolute", steps: [{ color: "green", value: null }] },
          },
        ),
        {
          type: "stat",
          title: "Most volatile (30d)",
          description: "Highest annualized 30-day volatility of daily returns among the selected coins.",
          w: 4,
          h: 4,
          targets: [series(sql(`
SELECT now() AS time, upper(c.symbol) AS coin, v.vol_30d
FROM latest_volatility('$currency', ARRAY[$coins]) v
JOIN coins c ON c.id = v.coin_id
WHERE v.vol_30d IS NOT NULL
ORDER BY v.vol_30d DESC
LIMIT 1`))],
          fieldConfig: fieldDefaults({
            unit: "percentunit",
            decimals: 0,
            displayName: "${__field.labels.coin}",
            color: { mode: "fixed", fixedColor: "yellow" },
          }),
          options: statOptions({ textMode: "value_and_name", graphMode: "none" }),
        },
        {
          type: "stat",
          title: "Sentiment ($window)",
          description: "Share of coins up over the window (stablecoins excluded), and their mean change.",
          w: 4,
          h: 4,
          targets: [table(sql(`
SELECT share_up_pct AS "Coins up", mean_change_pct AS "Mean change"
FROM market_sentiment('$currency', '$window'::interval)`))],
          fieldConfig: fieldDefaults({
            unit: "percent",
            decimals: 1,
            color: { mode: "thresholds" },
            thresholds: {
              mode: "absolute",
              steps: [{ color: "red", value: null }, { color: "yellow", value: 40 }, {
                color: "green",
                value: 60,
              }],
            },
          }, [byName("Mean change", [
            prop("thresholds", {
              mode: "absolute",
              steps: [{ color: "red", value: null }, { color: "green", value: 0 }],
            }),
          ])]),
          options: statOptions({ graphMode: "none", textMode: "value_and_name" }),
        },
      ],
      [
        {
          type: "table",
          title: "Market",
          description: "Selected coins by market cap, with changes and a 7-day sparkline of hourly closes. " +
            "Click a coin for its detail.",
          w: 24,
          h: 12,
          targets: [
            table(sql(`
SELECT m.market_cap_rank AS rank, m.coin_id, upper(m.symbol) AS symbol, m.name, m.price,
       p.change_1h_pct AS "1h", p.change_24h_pct AS "24h", p.change_7d_pct AS "7d", p.change_30d_pct AS "30d",
       m.market_cap, m.total_volume AS volume_24h, m.pct_below_ath AS below_ath
FROM latest_market m
LEFT JOIN latest_price_changes('$currency', ARRAY[$coins], '720 hours') p ON p.coin_id = m.coin_id
WHERE m.vs_currency = '$currency' AND m.coin_id IN ($coins)
ORDER BY m.market_cap_rank NULLS LAST, m.coin_id`)),
            // Every sixth hourly close: 28 points a coin are plenty for a sparkline in a table cell. The bound on
            // bucket, a constant for TimescaleDB, leaves the older chunks out of the plan.
            series(
              sql(`
SELECT bucket AS time, coin_id, close AS "7d"
FROM candles_1h
WHERE vs_currency = '$currency' AND coin_id IN ($coins) AND bucket > now() - interval '7 days 6 hours'
  AND bucket = ANY (ARRAY(SELECT generate_series(date_bin('6 hours', now() - interval '7 days', '2000-01-03'),
    now(), interval '6 hours')))
ORDER BY bucket`),
              "B",
            ),
          ],
          transformations: [
            { id: "timeSeriesTable", options: { B: { timeField: "time", stat: "lastNotNull" } } },
            { id: "joinByField", options: { byField: "coin_id", mode: "outerTabular" } },
            { id: "sortBy", options: { sort: [{ field: "rank", desc: false }] } },
          ],
          fieldConfig: fieldDefaults({ custom: { align: "auto", cellOptions: { type: "auto" } } }, [
            hidden("coin_id"),
            linked("symbol"),
            linked("name"),
            unit("price", "currencyUSD"),
            signedColour("1h"),
            signedColour("24h"),
            signedColour("7d"),
            signedColour("30d"),
            unit("market_cap", "short"),
            unit("volume_24h", "short"),
            unit("below_ath", "percent"),
            byName("Trend #B", [
              prop("custom.cellOptions", { type: "sparkline" }),
              prop("displayName", "7d chart"),
            ]),
          ]),
          options: { showHeader: true, cellHeight: "sm", footer: { show: false } },
        },
      ],
      [
        {
          type: "barchart",
          title: "Top gainers ($window)",
          w: 12,
          h: 8,
          targets: [table(sql(`
SELECT upper(symbol) AS coin, change_pct
FROM top_movers('$currency', '$window'::interval, 10)
WHERE direction = 'gainer'
ORDER BY rank`))],
          fieldConfig: fieldDefaults({ unit: "percent", color: { mode: "fixed", fixedColor: "green" } }),
          options: {
            xField: "coin",
            orientation: "horizontal",
            showValue: "auto",
            legend: { showLegend: false },
          },
        },
        {
          type: "barchart",
          title: "Top losers ($window)",
          w: 12,
          h: 8,
          targets: [table(sql(`
SELECT upper(symbol) AS coin, change_pct
FROM top_movers('$currency', '$window'::interval, 10)
WHERE direction = 'loser'
ORDER BY rank`))],
          fieldConfig: fieldDefaults({ unit: "percent", color: { mode: "fixed", fixedColor: "red" } }),
          options: {
            xField: "coin",
            orientation: "horizontal",
            showValue: "auto",
            legend: { showLegend: false },
          },
        },
      ],
      [
        {
          type: "timeseries",
          title: "Dominance history",
          description: "Share of the total market cap by coin (CoinGecko's list), others = the rest.",
          w: 16,
          h: 9,
          // Eleven stacked series: 500 points each are plenty, and half the rows of a panel-width default.
          maxDataPoints: 500,
          targets: [series(sql(`
SELECT time, upper(symbol) AS symbol, dominance_pct
FROM dominance_between($__timeFrom(), $__timeTo(), ${STEP})
ORDER BY time`))],
          fieldConfig: fieldDefaults({
            unit: "percent",
            displayName: "${__field.labels.symbol}",
            custom: {
              drawStyle: "line",
              fillOpacity: 60,
              stacking: { mode: "normal", group: "A" },
              lineWidth: 1,
            },
          }),
          options: {
            legend: { displayMode: "list", placement: "right", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
        {
          type: "piechart",
          title: "Market-cap share (selected coins)",
          description: "Largest ten of the selected coins; the rest of them as 'Others'.",
          w: 8,
          h: 9,
          targets: [table(sql(`
WITH ranked AS (
  SELECT upper(symbol) AS coin, market_cap, row_number() OVER (ORDER BY market_cap DESC NULLS LAST) AS n
  FROM latest_market
  WHERE vs_currency = '$currency' AND coin_id IN ($coins) AND market_cap IS NOT NULL
)
SELECT CASE WHEN n <= 10 THEN coin ELSE 'Others' END AS coin, sum(market_cap) AS market_cap
FROM ranked
GROUP BY 1
ORDER BY min(n)`))],
          fieldConfig: fieldDefaults({ unit: "short" }),
          options: {
            reduceOptions: { values: true, calcs: ["lastNotNull"], fields: "/^market_cap$/" },
            pieType: "donut",
            displayLabels: ["name", "percent"],
            legend: { displayMode: "list", placement: "right", showLegend: true },
          },
        },
      ],
      [
        {
          type: "bargauge",
          title: "Liquidity ranking",
          description: "24h volume / market cap: how much of a coin changes hands in a day.",
          w: 8,
          h: 10,
          targets: [table(sql(`
SELECT upper(symbol) AS coin, liquidity_ratio
FROM latest_market
WHERE vs_currency = '$currency' AND coin_id IN ($coins) AND liquidity_ratio IS NOT NULL
ORDER BY liquidity_ratio DESC
LIMIT 15`))],
          fieldConfig: fieldDefaults({ unit: "percentunit", min: 0, color: { mode: "continuous-BlPu" } }),
          options: {
            reduceOptions: { values: true, calcs: ["lastNotNull"], fields: "/^liquidity_ratio$/" },
            orientation: "horizontal",
            displayMode: "gradient",
            showUnfilled: true,
          },
        },
        {
          type: "barchart",
          title: "Price tiers",
          description: "How many of the tracked coins trade in each price band.",
          w: 8,
          h: 10,
          targets: [table(sql(`
SELECT tier, count(*) AS coins
FROM price_tiers
WHERE vs_currency = '$currency'
GROUP BY tier
ORDER BY min(price)`))],
          fieldConfig: fieldDefaults({ unit: "none", decimals: 0, color: { mode: "palette-classic" } }),
          options: {
            xField: "tier",
            orientation: "vertical",
            showValue: "always",
            legend: { showLegend: false },
          },
        },
        {
          type: "timeseries",
          title: "Market cap and volume",
          description:
            "Total market cap (left) and 24h volume (right): the last /global snapshot of each interval.",
          w: 8,
          h: 10,
          targets: [series(sql(`
SELECT time, total_market_cap AS "Market cap", total_volume AS "Volume 24h"
FROM global_market_between('$currency', $__timeFrom(), $__timeTo(), ${STEP})
ORDER BY time`))],
          fieldConfig: fieldDefaults({ unit: "short", custom: { fillOpacity: 10, spanNulls: true } }, [
            byName("Volume 24h", [prop("custom.axisPlacement", "right"), prop("custom.drawStyle", "bars")]),
          ]),
          options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Coin detail
// ---------------------------------------------------------------------------------------------------------------

function coinDetail(): JsonObject {
  const figure = (title: string, rawSql: string, unitName: string, extra: JsonObject = {}): PanelInput => ({
    type: "stat",
    title,
    w: 3,
    h: 4,
    targets: [table(rawSql)],
    fieldConfig: fieldDefaults({ unit: unitName, color: { mode: "fixed", fixedColor: "text" }, ...extra }),
    options: statOptions({ graphMode: "none" }),
  });
  // One coin's figures through the functions behind latest_market and price_changes, which take the coin: a
  // filter on the views would compute every coin first.
  const snapshot = (column: string) => `SELECT ${column} FROM latest_snapshots('$currency', ARRAY['$coin'])`;
  const latest = (column: string) =>
    `SELECT ${column} FROM latest_market WHERE coin_id = '$coin' AND vs_currency = '$currency'`;
  // Up to the change's horizon: the longer ones are not looked up.
  const change = (column: string, horizon: string) =>
    `SELECT ${column} FROM latest_price_changes('$currency', ARRAY['$coin'], '${horizon}')`;
  const signed = {
    color: { mode: "thresholds" },
    thresholds: {
      mode: "absolute",
      steps: [{ color: "red", value: null }, { color: "green", value: 0 }],
    },
  };
  return dashboard({
    uid: "coin-detail",
    title: "Coin detail",
    description:
      "One coin: candles and volume, moving averages, volatility band, drawdown, ROI and key figures.",
    time: "now-30d",
    variables: [currencyVariable, coinVariable],
    rows: [
      [
        figure("Price", snapshot("price"), "currencyUSD", { decimals: 4 }),
        figure("Change 24h", change("change_24h_pct", "24 hours"), "percent", { decimals: 2, ...signed }),
        figure("Change 7d", change("change_7d_pct", "168 hours"), "percent", { decimals: 2, ...signed }),
        figure("Market cap", snapshot("market_cap"), "short"),
        figure("Rank", snapshot("market_cap_rank"), "none", { decimals: 0 }),
        figure("Volume 24h", snapshot("total_volume"), "short"),
        figure(
          "Volatility 30d",
          "SELECT vol_30d FROM latest_volatility('$currency', ARRAY['$coin'])",
          "percentunit",
          { decimals: 0 },
        ),
        figure("Circulating supply", snapshot("circulating_supply"), "short"),
      ],
      [
        {
          type: "candlestick",
          title: "Price and volume",
          description:
            "Hourly candles for ranges up to 7 days, daily beyond. Volume is CoinGecko's rolling 24h volume at " +
            "each candle's close (not the volume traded within the candle).",
          w: 24,
          h: 11,
          targets: [series(sql(`
SELECT bucket AS time, open, high, low, close, volume
FROM coin_candles('$coin', '$currency', $__timeFrom(), $__timeTo())
ORDER BY bucket`))],
          fieldConfig: fieldDefaults({ unit: "currencyUSD", custom: { fillOpacity: 0 } }, [
            unit("volume", "short"),
            byName("volume", [prop("displayName", "24h volume (rolling)")]),
          ]),
          options: {
            mode: "candles+volume",
            candleStyle: "candles",
            colorStrategy: "open-close",
            colors: { up: "green", down: "red" },
            includeAllFields: false,
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
          },
        },
      ],
      [
        {
          type: "timeseries",
          title: "Moving averages",
          description:
            "Daily close with its 7, 30, 50 and 200-day simple moving averages; golden/death crosses " +
            "marked where the 50-day crosses the 200-day.",
          w: 12,
          h: 9,
          targets: [series(sql(`
SELECT bucket AS time, close, sma_7, sma_30, sma_50, sma_200
FROM daily_trend
WHERE coin_id = '$coin' AND vs_currency = '$currency'
  AND bucket > $__timeFrom()::timestamptz - interval '1 day' AND bucket <= $__timeTo()::timestamptz
ORDER BY bucket`))],
          fieldConfig: fieldDefaults({ unit: "currencyUSD", custom: { lineWidth: 1, spanNulls: true } }, [
            byName("close", [prop("custom.lineWidth", 2)]),
          ]),
          options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
        {
          type: "timeseries",
          title: "Volatility band",
          description:
            "Daily close within ±1σ of a one-day move, σ from the 30-day annualized volatility of " +
            "daily returns (close × e^(±σ/√365)).",
          w: 12,
          h: 9,
          targets: [series(sql(`
SELECT d.bucket AS time, d.close,
       d.close * exp(v.volatility / sqrt(365)) AS "upper (+1σ)",
       d.close * exp(-v.volatility / sqrt(365)) AS "lower (-1σ)"
FROM daily_log_returns('$currency', $__timeFrom()::timestamptz - interval '1 day', $__timeTo()::timestamptz,
       ARRAY['$coin']) d
JOIN rolling_volatility('$currency', ARRAY['$coin'], 30,
       $__timeFrom()::timestamptz - interval '1 day', $__timeTo()::timestamptz) v
  ON v.time = d.bucket
ORDER BY d.bucket`))],
          fieldConfig: fieldDefaults({ unit: "currencyUSD", custom: { lineWidth: 1, spanNulls: true } }, [
            byName("upper (+1σ)", [
              prop("custom.fillBelowTo", "lower (-1σ)"),
              prop("custom.fillOpacity", 20),
              prop("custom.lineStyle", { fill: "dash", dash: [4, 4] }),
            ]),
            byName("lower (-1σ)", [prop("custom.lineStyle", { fill: "dash", dash: [4, 4] })]),
            byName("close", [prop("custom.lineWidth", 2)]),
          ]),
          options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
      ],
      [
        {
          type: "timeseries",
          title: "Drawdown",
          description: "How far the daily close is below its highest close so far in the range.",
          w: 8,
          h: 8,
          targets: [series(sql(`
SELECT time, -drawdown AS drawdown
FROM drawdown_series('$coin', '$currency', $__timeFrom(), $__timeTo())
ORDER BY time`))],
          fieldConfig: fieldDefaults({
            unit: "percentunit",
            max: 0,
            color: { mode: "fixed", fixedColor: "red" },
            custom: { fillOpacity: 30, lineWidth: 1 },
          }),
          options: { legend: { showLegend: false, displayMode: "list", placement: "bottom" } },
        },
        {
          type: "timeseries",
          title: "ROI since the start of the range",
          description: "Close over the close at the start of the range, minus 1.",
          w: 8,
          h: 8,
          targets: [series(sql(`
SELECT bucket AS time, close / first_value(close) OVER (ORDER BY bucket) - 1 AS roi
FROM coin_candles('$coin', '$currency', $__timeFrom(), $__timeTo())
ORDER BY bucket`))],
          fieldConfig: fieldDefaults({
            unit: "percentunit",
            color: { mode: "thresholds" },
            thresholds: {
              mode: "absolute",
              steps: [{ color: "red", value: null }, { color: "green", value: 0 }],
            },
            custom: { fillOpacity: 15, gradientMode: "scheme", thresholdsStyle: { mode: "line" } },
          }),
          options: { legend: { showLegend: false, displayMode: "list", placement: "bottom" } },
        },
        {
          type: "stat",
          title: "ROI over the range",
          w: 4,
          h: 8,
          targets: [table(sql(`
SELECT roi('$coin', '$currency', $__timeFrom(), $__timeTo()) AS roi`))],
          fieldConfig: fieldDefaults({ unit: "percentunit", decimals: 1, ...signed }),
          options: statOptions({ graphMode: "none" }),
        },
        {
          type: "gauge",
          title: "Below all-time high",
          description: "Distance of the price from CoinGecko's all-time high.",
          w: 4,
          h: 8,
          targets: [table(latest("pct_below_ath AS below_ath"))],
          fieldConfig: fieldDefaults({
            unit: "percent",
            min: 0,
            max: 100,
            decimals: 1,
            color: { mode: "thresholds" },
            thresholds: {
              mode: "absolute",
              steps: [{ color: "green", value: null }, { color: "yellow", value: 20 }, {
                color: "red",
                value: 50,
              }],
            },
          }),
          options: {
            reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
            showThresholdMarkers: true,
          },
        },
      ],
      [
        {
          type: "stat",
          title: "All-time high",
          w: 12,
          h: 4,
          targets: [table(latest("ath, ath_date"))],
          fieldConfig: fieldDefaults({ unit: "currencyUSD", color: { mode: "fixed", fixedColor: "text" } }, [
            unit("ath_date", "dateTimeAsIso"),
          ]),
          options: statOptions({
            graphMode: "none",
            reduceOptions: { calcs: ["lastNotNull"], fields: "/^ath$/", values: false },
          }),
        },
        {
          type: "stat",
          title: "24h range",
          w: 12,
          h: 4,
          targets: [table(latest("low_24h AS low, high_24h AS high"))],
          fieldConfig: fieldDefaults({ unit: "currencyUSD", color: { mode: "fixed", fixedColor: "text" } }),
          options: statOptions({ graphMode: "none", textMode: "value_and_name" }),
        },
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Compare
// ---------------------------------------------------------------------------------------------------------------

/** The largest selected coins, as a text[] expression (keeps pairwise figures readable). */
const topSelected = (limit: number) =>
  `ARRAY(SELECT coin_id FROM latest_snapshots('$currency', ARRAY[$coins]) ` +
  `ORDER BY market_cap DESC NULLS LAST, coin_id LIMIT ${limit})`;

function compare(): JsonObject {
  return dashboard({
    uid: "compare",
    title: "Compare",
    description: "Selected coins side by side: performance rebased to 100, correlation and risk/return.",
    time: "now-90d",
    variables: [currencyVariable, coinsVariable],
    rows: [
      [
        {
          type: "timeseries",
          title: "Performance (rebased to 100)",
          description: "Each coin's close over its first close in the range × 100 (hourly up to 7 days, " +
            "daily beyond).",
          w: 24,
          h: 10,
          targets: [series(sql(`
WITH c AS (
  ${candlesInRange(`coin_id = ANY (${topSelected(12)})`)}
)
SELECT c.bucket AS time, upper(co.symbol) AS coin,
       100 * c.close / first_value(c.close) OVER (PARTITION BY c.coin_id ORDER BY c.bucket) AS rebased
FROM c
JOIN coins co ON co.id = c.coin_id
ORDER BY c.bucket`))],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 1,
            displayName: "${__field.labels.coin}",
            custom: { lineWidth: 1, spanNulls: true },
          }),
          options: {
            legend: { displayMode: "table", placement: "right", showLegend: true, calcs: ["lastNotNull"] },
          },
        },
      ],
      [
        {
          type: "table",
          title: "Correlation of daily returns",
          description:
            "Pearson correlation of daily log returns of the twelve largest selected coins, over the " +
            "range (at least its last 30 days).",
          w: 12,
          h: 12,
          targets: [table(sql(`
SELECT upper(a.symbol) AS coin, upper(b.symbol) AS against, m.correlation
FROM correlation_matrix('$currency', ${topSelected(12)}, ${FROM_30D}, $__timeTo()) m
JOIN coins a ON a.id = m.coin_a
JOIN coins b ON b.id = m.coin_b
ORDER BY a.symbol, b.symbol`))],
          transformations: [
            {
              id: "groupingToMatrix",
              options: {
                rowField: "coin",
                columnField: "against",
                valueField: "correlation",
                emptyValue: "null",
              },
            },
          ],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 2,
            min: -1,
            max: 1,
            color: { mode: "continuous-RdYlGr" },
            custom: { align: "center", cellOptions: { type: "color-background", mode: "basic" } },
          }, [byName("coin\\against", [prop("custom.cellOptions", { type: "auto" })])]),
          options: { showHeader: true, cellHeight: "sm" },
        },
        {
          type: PANEL_PLUGIN_ID,
          title: "Risk / return",
          description:
            "Annualized volatility against ROI over the range (at least its last 30 days); bubble " +
            "size = market cap. Click a coin for its detail.",
          w: 12,
          h: 12,
          targets: [table(sql(`
SELECT *
FROM risk_return('$currency', ${FROM_30D}, $__timeTo(), ARRAY[$coins])`))],
          options: {
            mode: "riskReturn",
            detailUrl: "/d/coin-detail/coin-detail?var-coin=${coin_id}&${__url_time_range}",
          },
        },
      ],
      [
        {
          type: "table",
          title: "Risk metrics",
          description:
            "Over the range (at least its last 30 days): annualized volatility, maximum drawdown, " +
            "Sharpe and Sortino ratios (risk-free rate 0) of daily log returns; ROI and ROI against bitcoin.",
          w: 24,
          h: 10,
          targets: [table(sql(`
SELECT r.coin_id, upper(c.symbol) AS symbol, c.name, r.volatility, r.max_drawdown, r.sharpe, r.sortino,
       t.roi, t.roi_vs_btc, r.observations
FROM risk_metrics('$currency', ${FROM_30D}, $__timeTo(), ARRAY[$coins]) r
JOIN coins c ON c.id = r.coin_id
LEFT JOIN roi_table('$currency', ${FROM_30D}, $__timeTo(), ARRAY[$coins]) t ON t.coin_id = r.coin_id
ORDER BY r.sharpe DESC NULLS LAST`))],
          fieldConfig: fieldDefaults({ decimals: 2 }, [
            hidden("coin_id"),
            linked("symbol"),
            linked("name"),
            unit("volatility", "percentunit"),
            unit("max_drawdown", "percentunit"),
            signedColour("roi", "percentunit"),
            signedColour("roi_vs_btc", "percentunit"),
            signedColour("sharpe", "none"),
            signedColour("sortino", "none"),
          ]),
          options: { showHeader: true, cellHeight: "sm" },
        },
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Volatility & ROI
// ---------------------------------------------------------------------------------------------------------------

function volatilityRoi(): JsonObject {
  const riskReturnSql = sql(`
SELECT *
FROM risk_return('$currency', ${FROM_30D}, $__timeTo(), ARRAY[$coins])`);
  return dashboard({
    uid: "volatility-roi",
    title: "Volatility & ROI",
    description: "Risk/return map, ROI calculator and volatility cone, with volatility and ROI rankings.",
    time: "now-90d",
    variables: [currencyVariable, coinsVariable, volatilityWindowVariable, amountVariable],
    rows: [
      [
        {
          type: PANEL_PLUGIN_ID,
          title: "Risk / return",
          description: "Annualized volatility against ROI over the range (at least its last 30 days).",
          w: 14,
          h: 14,
          targets: [table(riskReturnSql)],
          options: {
            mode: "riskReturn",
            detailUrl: "/d/coin-detail/coin-detail?var-coin=${coin_id}&${__url_time_range}",
          },
        },
        {
          type: PANEL_PLUGIN_ID,
          title: "ROI calculator ($amount invested)",
          description: "What the amount invested at the start of the range would be worth now, per coin.",
          w: 10,
          h: 14,
          // Exactly the dashboard's range: the panel says "invested at <range start>".
          targets: [table(sql(`
SELECT *
FROM risk_return('$currency', $__timeFrom(), $__timeTo(), ARRAY[$coins])`))],
          options: {
            mode: "roi",
            amount: 1000,
            amountVariable: "amount",
            detailUrl: "/d/coin-detail/coin-detail?var-coin=${coin_id}&${__url_time_range}",
          },
        },
      ],
      [
        {
          type: PANEL_PLUGIN_ID,
          title: "Volatility cone ($window-day rolling)",
          description:
            "Rolling annualized volatility of daily returns over the chosen window, per coin, over the " +
            "range (at least its last 30 days).",
          w: 24,
          h: 11,
          targets: [table(sql(`
SELECT time, coin_id, volatility
FROM rolling_volatility('$currency', ${topSelected(20)}, '$window'::int, ${FROM_30D}, $__timeTo())
WHERE volatility IS NOT NULL
ORDER BY time`))],
          options: {
            mode: "volatility",
            maxSeries: 20,
            detailUrl: "/d/coin-detail/coin-detail?var-coin=${coin_id}&${__url_time_range}",
          },
        },
      ],
      [
        {
          type: "table",
          title: "Volatility ranking",
          description:
            "Annualized volatility of daily returns over 7, 30 and 90 days, and of hourly returns " +
            "over the last 24h; rank among the selected coins by 30-day volatility.",
          w: 12,
          h: 12,
          targets: [table(sql(`
SELECT CASE WHEN v.vol_30d IS NOT NULL THEN rank() OVER (ORDER BY v.vol_30d DESC NULLS LAST) END AS rank,
       v.coin_id, upper(c.symbol) AS symbol, c.name, v.vol_7d, v.vol_30d, v.vol_90d, h.volatility AS vol_intraday_24h
FROM latest_volatility('$currency', ARRAY[$coins]) v
JOIN coins c ON c.id = v.coin_id
LEFT JOIN hourly_volatility('24 hours') h ON h.coin_id = v.coin_id AND h.vs_currency = v.vs_currency
ORDER BY v.vol_30d DESC NULLS LAST`))],
          fieldConfig: fieldDefaults({
            unit: "percentunit",
            decimals: 0,
            custom: { cellOptions: { type: "auto" } },
          }, [
            hidden("coin_id"),
            linked("symbol"),
            linked("name"),
            unit("rank", "none"),
            byName("vol_30d", [
              prop("custom.cellOptions", { type: "gauge", mode: "basic" }),
              prop("color", { mode: "continuous-GrYlRd" }),
              prop("min", 0),
            ]),
          ]),
          options: { showHeader: true, cellHeight: "sm" },
        },
        {
          type: "table",
          title: "ROI ranking ($amount invested)",
          description:
            "The amount invested in each coin at the start of the range: value now, profit and ROI.",
          w: 12,
          h: 12,
          targets: [table(sql(`
SELECT rank, coin_id, upper(symbol) AS symbol, name, invested, value, profit, roi
FROM investment_value('$currency', '$amount'::float8, ${FROM_OR_FIRST_DAY}, $__timeTo())
WHERE coin_id IN ($coins)
ORDER BY rank`))],
          fieldConfig: fieldDefaults({ decimals: 2 }, [
            hidden("coin_id"),
            linked("symbol"),
            linked("name"),
            unit("invested", "currencyUSD"),
            unit("value", "currencyUSD"),
            signedColour("profit", "currencyUSD"),
            signedColour("roi", "percentunit"),
          ]),
          options: { showHeader: true, cellHeight: "sm" },
        },
      ],
      [
        {
          type: "table",
          title: "Dollar-cost averaging: $amount every week",
          description:
            "Buying for the amount every 7 days over the range, for the ten largest selected coins.",
          w: 24,
          h: 9,
          targets: [table(sql(`
SELECT d.coin_id, upper(c.symbol) AS symbol, c.name, d.buys, d.invested, d.value, d.roi, d.average_price
FROM dca_results('$currency', ${topSelected(10)}, '$amount'::float8, interval '7 days', ${FROM_OR_FIRST_DAY},
  $__timeTo()) d
JOIN coins c ON c.id = d.coin_id
ORDER BY d.roi DESC NULLS LAST`))],
          fieldConfig: fieldDefaults({ decimals: 2 }, [
            hidden("coin_id"),
            linked("symbol"),
            linked("name"),
            unit("invested", "currencyUSD"),
            unit("value", "currencyUSD"),
            unit("average_price", "currencyUSD"),
            signedColour("roi", "percentunit"),
          ]),
          options: { showHeader: true, cellHeight: "sm" },
        },
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Pipeline health
// ---------------------------------------------------------------------------------------------------------------

function pipelineHealth(): JsonObject {
  const freshness = (
    title: string,
    column: string,
    unitName: string,
    extra: JsonObject = {},
  ): PanelInput => ({
    type: "stat",
    title,
    w: 4,
    h: 4,
    targets: [table(`SELECT ${column} FROM pipeline_freshness`)],
    fieldConfig: fieldDefaults({ unit: unitName, color: { mode: "fixed", fixedColor: "text" }, ...extra }),
    options: statOptions({ graphMode: "none" }),
  });
  return dashboard({
    uid: "pipeline-health",
    title: "Pipeline health",
    description:
      "The collector from ingest_runs: freshness, API calls, rejections, gap repair, rows and duration.",
    time: "now-24h",
    refresh: "1m",
    variables: [],
    rows: [
      [
        freshness("Last successful cycle", "last_successful_cycle_at", "dateTimeFromNow"),
        freshness("Newest snapshot", "last_snapshot_at", "dateTimeFromNow"),
        freshness(
          "Lag (schedule intervals)",
          "snapshot_age_seconds / schedule_interval_seconds AS lag",
          "none",
          {
            decimals: 1,
            color: { mode: "thresholds" },
            thresholds: {
              mode: "absolute",
              steps: [{ color: "green", value: null }, { color: "yellow", value: 2 }, {
                color: "red",
                value: 3,
              }],
            },
          },
        ),
        freshness("Schedule interval (observed)", "schedule_interval_seconds", "s"),
        {
          type: "stat",
          title: "Cycles in range",
          w: 8,
          h: 4,
          targets: [table(sql(`
SELECT count(*) FILTER (WHERE status = 'ok') AS ok,
       count(*) FILTER (WHERE status = 'partial') AS partial,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM ingest_runs
WHERE kind = 'cycle' AND $__timeFilter(started_at)`))],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 0,
            color: { mode: "fixed", fixedColor: "green" },
          }, [
            byName("partial", [prop("color", { mode: "fixed", fixedColor: "yellow" })]),
            byName("failed", [prop("color", { mode: "fixed", fixedColor: "red" })]),
          ]),
          options: statOptions({ graphMode: "none", textMode: "value_and_name" }),
        },
      ],
      [
        {
          type: "timeseries",
          title: "API calls by status",
          description: "CoinGecko calls per interval by HTTP status (or timeout/network).",
          w: 12,
          h: 9,
          targets: [series(sql(`
SELECT $__timeGroupAlias(r.started_at, $__interval), c.key AS status, sum(c.value::int) AS calls
FROM ingest_runs r
CROSS JOIN LATERAL jsonb_each_text(r.api_calls) c
WHERE $__timeFilter(r.started_at)
GROUP BY 1, 2
ORDER BY 1`))],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 0,
            displayName: "${__field.labels.status}",
            custom: { drawStyle: "bars", fillOpacity: 80, stacking: { mode: "normal", group: "A" } },
          }, [
            byName("calls 200", [prop("color", { mode: "fixed", fixedColor: "green" })]),
            byName("calls 429", [prop("color", { mode: "fixed", fixedColor: "orange" })]),
          ]),
          options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
        {
          type: "timeseries",
          title: "Rows per cycle",
          w: 12,
          h: 9,
          targets: [series(sql(`
SELECT started_at AS time, rows_written AS "rows written", rows_rejected AS "rows rejected"
FROM ingest_runs
WHERE kind = 'cycle' AND $__timeFilter(started_at)
ORDER BY started_at`))],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 0,
            custom: { drawStyle: "points", pointSize: 5 },
          }, [
            byName("rows rejected", [prop("color", { mode: "fixed", fixedColor: "red" })]),
          ]),
          options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
      ],
      [
        {
          type: "timeseries",
          title: "Cycle duration",
          w: 12,
          h: 8,
          targets: [series(sql(`
SELECT started_at AS time, extract(epoch FROM finished_at - started_at) AS duration
FROM ingest_runs
WHERE kind = 'cycle' AND finished_at IS NOT NULL AND $__timeFilter(started_at)
ORDER BY started_at`))],
          fieldConfig: fieldDefaults({ unit: "s", custom: { drawStyle: "points", pointSize: 5 } }),
          options: { legend: { showLegend: false, displayMode: "list", placement: "bottom" } },
        },
        {
          type: "timeseries",
          title: "Gaps found and repaired",
          w: 12,
          h: 8,
          targets: [series(sql(`
SELECT started_at AS time,
       coalesce((details ->> 'gaps_found')::int, 0) AS "gaps found",
       coalesce((details ->> 'gaps_repaired')::int, 0) AS "gaps repaired"
FROM ingest_runs
WHERE kind = 'gap_repair' AND $__timeFilter(started_at)
ORDER BY started_at`))],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 0,
            custom: { drawStyle: "bars", fillOpacity: 70 },
          }, [
            byName("gaps found", [prop("color", { mode: "fixed", fixedColor: "orange" })]),
            byName("gaps repaired", [prop("color", { mode: "fixed", fixedColor: "green" })]),
          ]),
          options: {
            legend: { displayMode: "list", placement: "bottom", showLegend: true },
            tooltip: { mode: "multi" },
          },
        },
      ],
      [
        {
          type: "barchart",
          title: "Rejections by reason",
          w: 8,
          h: 9,
          targets: [table(sql(`
SELECT x.reason, count(*) AS records
FROM ingest_runs r
CROSS JOIN LATERAL jsonb_to_recordset(r.rejections) AS x (coin_id text, reason text)
WHERE $__timeFilter(r.started_at)
GROUP BY x.reason
ORDER BY records DESC
LIMIT 20`))],
          fieldConfig: fieldDefaults({
            unit: "none",
            decimals: 0,
            color: { mode: "fixed", fixedColor: "red" },
          }),
          options: {
            xField: "reason",
            orientation: "horizontal",
            showValue: "auto",
            legend: { showLegend: false },
          },
        },
        {
          type: "table",
          title: "Rejected records",
          w: 16,
          h: 9,
          targets: [table(sql(`
SELECT r.started_at AS time, r.kind, x.coin_id, x.reason
FROM ingest_runs r
CROSS JOIN LATERAL jsonb_to_recordset(r.rejections) AS x (coin_id text, reason text)
WHERE $__timeFilter(r.started_at)
ORDER BY r.started_at DESC
LIMIT 500`))],
          fieldConfig: fieldDefaults({}, [unit("time", "dateTimeAsIso")]),
          options: { showHeader: true, cellHeight: "sm" },
        },
      ],
      [
        {
          type: "table",
          title: "Runs",
          description: "Every run in the range, newest first.",
          w: 24,
          h: 10,
          targets: [table(sql(`
SELECT started_at AS time, kind, status, extract(epoch FROM finished_at - started_at) AS duration,
       api_calls::text AS api_calls, rows_written, rows_rejected, details::text AS details, error
FROM ingest_runs
WHERE $__timeFilter(started_at)
ORDER BY started_at DESC
LIMIT 500`))],
          fieldConfig: fieldDefaults({}, [
            unit("time", "dateTimeAsIso"),
            unit("duration", "s"),
            byName("status", [
              prop("custom.cellOptions", { type: "color-text" }),
              prop("mappings", [{
                type: "value",
                options: {
                  ok: { color: "green", index: 0 },
                  partial: { color: "yellow", index: 1 },
                  failed: { color: "red", index: 2 },
                  running: { color: "blue", index: 3 },
                },
              }]),
            ]),
          ]),
          options: { showHeader: true, cellHeight: "sm" },
        },
      ],
      [
        {
          type: "table",
          title: "Alert thresholds",
          description: "The thresholds the alert rules use (defaults: coin_id empty). Change them in SQL: " +
            "UPDATE alert_thresholds SET move_24h_pct = 15 WHERE coin_id IS NULL;",
          w: 24,
          h: 7,
          targets: [table(sql(`
SELECT coin_id, move_1h_pct, move_24h_pct, volatility_spike_ratio, enabled, note, updated_at
FROM alert_thresholds
ORDER BY coin_id NULLS FIRST`))],
          fieldConfig: fieldDefaults({}, [unit("updated_at", "dateTimeAsIso")]),
          options: { showHeader: true, cellHeight: "sm" },
        },
      ],
    ],
  });
}

export function dashboards(): Record<string, JsonObject> {
  return {
    "market-overview.json": marketOverview(),
    "coin-detail.json": coinDetail(),
    "compare.json": compare(),
    "volatility-roi.json": volatilityRoi(),
    "pipeline-health.json": pipelineHealth(),
  };
}

export const render = (dashboard: JsonObject) => JSON.stringify(dashboard, null, 2) + "\n";

if (import.meta.main) {
  await Deno.mkdir(OUTPUT_DIR, { recursive: true });
  for (const [file, content] of Object.entries(dashboards())) {
    await Deno.writeTextFile(new URL(file, OUTPUT_DIR), render(content));
    console.log(`wrote grafana/provisioning/dashboards/observatory/${file}`);
  }
}
