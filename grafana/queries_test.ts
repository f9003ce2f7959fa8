/**
 * Every query of the provisioned dashboards (panels and variables) and alert rules, run as Grafana runs it:
 * expanded by grafana/macros.ts (frontend variables, then the backend macros), sent with the simple query
 * protocol as the read-only role observatory_reader, on a real database seeded with real history that ends
 * now (grafana/seed.ts), in every storage mode available, for several time ranges.
 *
 * Expansion forms: the datasource is provisioned with `timescaledb: true`, so Grafana always sends
 * `$__timeGroup` as time_bucket(); both storage modes must run that form (plain PostgreSQL through
 * sql/302_time_bucket.postgres.sql). Queries whose SQL differs in the `timescaledb: false` form run in that
 * form too (what a datasource without the flag would send).
 */
import assert from "node:assert/strict";
import { connect, type Sql } from "../ingest/db/connect.ts";
import { migrate } from "../ingest/db/migrate.ts";
import { storageModes, withTestDatabase } from "../ingest/testing/db.ts";
import { expandPanelQuery, panelIntervalMs, type TimeRange, type VariableValue } from "./macros.ts";
import {
  alertQueries,
  alertRules,
  loadProvisioning,
  type Loose,
  panelQueries,
  type ProvisionedQuery,
  variableQueries,
} from "./provisioning.ts";
import { seed } from "./seed.ts";
import { MIN_INTERVAL_MS, type QueryResult, resolveVariables, runAsGrafana } from "./harness.ts";

const modes = await storageModes();
const provisioning = await loadProvisioning();
const datasource = provisioning.datasources[0]!.data.datasources[0];
assert.equal(datasource.jsonData.timeInterval, "1m");

const HOUR = 3_600_000;
const RANGES: [string, number][] = [["6h", 6 * HOUR], ["24h", 24 * HOUR], ["7d", 168 * HOUR], [
  "30d",
  720 * HOUR,
], ["1y", 8760 * HOUR]];

// PostgreSQL type OIDs, as Grafana's sql_engine.go classifies them.
const NUMERIC_TYPES = new Set([20, 21, 23, 700, 701, 1700]); // int8, int2, int4, float4, float8, numeric
const STRING_TYPES = new Set([25, 1043, 19, 18]); // text, varchar, name, char → labels
const TIME_TYPES = new Set([1184, 1114, 1082]); // timestamptz, timestamp, date

/** What Grafana requires of a time-series result, and what each alert instance needs. */
function assertTimeSeries(result: QueryResult, label: string): string[] {
  const time = result.columns.find((c) => c.name === "time");
  assert.ok(time, `${label}: no time column (${result.columns.map((c) => c.name)})`);
  assert.ok(
    TIME_TYPES.has(time.type) || NUMERIC_TYPES.has(time.type),
    `${label}: time column type ${time.type}`,
  );
  const labels = result.columns.filter((c) => STRING_TYPES.has(c.type)).map((c) => c.name);
  const values = result.columns.filter((c) => c !== time && !STRING_TYPES.has(c.type));
  assert.ok(values.length > 0, `${label}: no value column`);
  for (const column of values) {
    assert.ok(
      NUMERIC_TYPES.has(column.type),
      `${label}: column ${column.name} (type ${column.type}) is not numeric`,
    );
  }
  let previous = -Infinity;
  const seen = new Set<string>();
  for (const row of result.rows) {
    const t = row.time instanceof Date ? row.time.getTime() : Number(row.time);
    assert.ok(Number.isFinite(t), `${label}: null time`);
    assert.ok(t >= previous, `${label}: not sorted by time`);
    previous = t;
    const key = JSON.stringify([t, ...labels.map((l) => row[l])]);
    assert.ok(!seen.has(key), `${label}: two rows for one time and label set ${key}`);
    seen.add(key);
    for (const column of values) {
      const value = row[column.name];
      assert.ok(value === null || Number.isFinite(Number(value)), `${label}: ${column.name} = ${value}`);
    }
  }
  return labels;
}

interface Outcome {
  rows: number;
  labels: string[];
  rowsData: Record<string, unknown>[];
}

async function check(
  reader: Sql,
  query: ProvisionedQuery,
  options: {
    range: TimeRange;
    intervalMs: number;
    timescaledb: boolean;
    variables: Record<string, VariableValue>;
  },
  label: string,
): Promise<Outcome> {
  const text = expandPanelQuery(query.rawSql, options);
  let result: QueryResult;
  try {
    result = await runAsGrafana(reader, text);
  } catch (error) {
    throw new Error(`${label}: ${error instanceof Error ? error.message : error}\n${text}`);
  }
  assert.ok(result.rows.length > 0, `${label}: no rows on seeded data\n${text}`);
  const labels = query.format === "time_series" ? assertTimeSeries(result, label) : [];
  // Tables of coins (a coin_id column, no time) list each coin once.
  if (query.format !== "time_series" && "coin_id" in result.rows[0]! && !("time" in result.rows[0]!)) {
    const coins = result.rows.map((row) => row.coin_id);
    assert.equal(new Set(coins).size, coins.length, `${label}: a coin listed twice\n${text}`);
  }
  return { rows: result.rows.length, labels, rowsData: result.rows };
}

for (const mode of modes) {
  Deno.test(`every provisioned query runs on seeded data (${mode})`, async (t) => {
    await withTestDatabase(mode, async ({ sql, connectAs }) => {
      await seed(sql, mode);
      const reader = connectAs("observatory_reader", { max: 1 });
      try {
        let executed = 0;
        for (const { dashboard } of provisioning.dashboards) {
          await t.step(`dashboard ${dashboard.uid}`, async () => {
            for (const [rangeName, span] of RANGES) {
              const now = Date.now();
              const range = { from: new Date(now - span), to: new Date(now) };
              const variables = await resolveVariables(reader, dashboard, range);
              executed += variableQueries(dashboard).length;
              for (const query of panelQueries(dashboard)) {
                const intervalMs = panelIntervalMs(range, query.maxDataPoints ?? 1000, MIN_INTERVAL_MS);
                const forms = [true];
                const base = { range, intervalMs, variables };
                if (
                  expandPanelQuery(query.rawSql, { ...base, timescaledb: false }) !==
                    expandPanelQuery(query.rawSql, { ...base, timescaledb: true })
                ) forms.push(false);
                for (const timescaledb of forms) {
                  await check(
                    reader,
                    query,
                    { ...base, timescaledb },
                    `${query.label} [${rangeName}, timescaledb ${timescaledb}]`,
                  );
                  executed++;
                }
              }
            }
          });
        }

        await t.step("alert rules: one series per coin (or kind), thresholds joined", async () => {
          const now = Date.now();
          for (const { rule } of alertRules(provisioning)) {
            const labelSets: string[][] = [];
            for (const query of alertQueries(provisioning).filter((q) => q.ruleUid === rule.uid)) {
              const model = rule.data.find((d: Loose) => d.model.rawSql === query.rawSql);
              const range = {
                from: new Date(now - model.relativeTimeRange.from * 1000),
                to: new Date(now - model.relativeTimeRange.to * 1000),
              };
              // Alert rules have no dashboard variables: the backend expansion only.
              const outcome = await check(
                reader,
                query,
                { range, intervalMs: query.intervalMs!, timescaledb: true, variables: {} },
                query.label,
              );
              executed++;
              const instances = outcome.rowsData.map((row) =>
                JSON.stringify(outcome.labels.map((l) => row[l]))
              );
              assert.equal(
                new Set(instances).size,
                instances.length,
                `${query.label}: one series per instance`,
              );
              if (outcome.labels.includes("coin_id")) {
                const coins = outcome.rowsData.map((row) => row.coin_id);
                assert.equal(new Set(coins).size, coins.length, `${query.label}: one series per coin`);
              }
              labelSets.push(instances.sort());
            }
            // Math expressions join A and B by labels: they must describe the same instances.
            for (const set of labelSets.slice(1)) {
              assert.deepEqual(set, labelSets[0], `rule ${rule.uid}: A and B labels`);
            }
          }
        });
        console.log(`${mode}: ${executed} queries executed`);
      } finally {
        await reader.end();
      }
    });
  });

  Deno.test(`alert SQL semantics: thresholds from SQL, staleness from the observed schedule (${mode})`, async () => {
    await withTestDatabase(mode, async ({ sql, connectAs }) => {
      await seed(sql, mode);
      const reader = connectAs("observatory_reader", { max: 1 });
      try {
        const thresholds = async (window: string) =>
          Object.fromEntries(
            (await reader<{ coin_id: string; threshold_pct: number }[]>`
              SELECT coin_id, threshold_pct FROM alert_price_moves WHERE move_window = ${window}`)
              .map((r) => [r.coin_id, r.threshold_pct]),
          );
        // Seeded defaults: 12% over 24h, stablecoins 2%.
        const before = await thresholds("24h");
        assert.equal(before.bitcoin, 12);
        assert.equal(before.tether, 2);
        // Users change thresholds with SQL; the rule query sees it at once.
        await sql`UPDATE alert_thresholds SET move_24h_pct = 7.5 WHERE coin_id IS NULL`;
        await sql`INSERT INTO alert_thresholds (coin_id, move_24h_pct) VALUES ('ethereum', 30)`;
        const after = await thresholds("24h");
        assert.equal(after.bitcoin, 7.5);
        assert.equal(after.ethereum, 30);
        assert.equal(after.tether, 2, "a coin's own row wins over the default");
        await sql`INSERT INTO alert_thresholds (coin_id, enabled) VALUES ('bitcoin', false)`;
        assert.equal((await thresholds("24h")).bitcoin, undefined, "a disabled coin has no alert instance");
        await assert.rejects(sql`DELETE FROM alert_thresholds WHERE coin_id IS NULL`, /cannot be deleted/);
        await assert.rejects(
          reader`UPDATE alert_thresholds SET move_1h_pct = 1`,
          /read-only transaction|permission denied/,
          "the Grafana role cannot change thresholds",
        );

        // The price move matches the seeded prices: bitcoin's newest price against the newest one 1-2h earlier.
        await sql`DELETE FROM alert_thresholds WHERE coin_id = 'bitcoin'`;
        const [move] = await reader<{ change_pct: number; price: number; reference_price: number }[]>`
          SELECT change_pct, price, reference_price FROM alert_price_moves
          WHERE coin_id = 'bitcoin' AND move_window = '1h'`;
        assert.ok(move, "bitcoin has a 1h move");
        assert.ok(Math.abs(move.change_pct - 100 * (move.price / move.reference_price - 1)) < 1e-9);
        // Both prices are raw rows: the newest one, and the newest one at least 1h (at most 2h) before it.
        const [raw] = await sql<{ price: number; reference_price: number }[]>`
          WITH newest AS (
            SELECT time, price FROM market_snapshots WHERE coin_id = 'bitcoin' AND vs_currency = 'usd'
            ORDER BY time DESC LIMIT 1
          )
          SELECT n.price, (
            SELECT s.price FROM market_snapshots s
            WHERE s.coin_id = 'bitcoin' AND s.vs_currency = 'usd' AND s.time <= n.time - interval '1 hour'
              AND s.time >= n.time - interval '2 hours'
            ORDER BY s.time DESC LIMIT 1
          ) AS reference_price
          FROM newest n`;
        assert.deepEqual([move.price, move.reference_price], [raw!.price, raw!.reference_price]);

        // Which coins have a 24h move: those whose newest row is of the last day (a coin observed 3 hours ago
        // too, not one last observed 30 hours ago), with a row one to two days before it.
        await sql`INSERT INTO coins (id, symbol, name) VALUES ('late-coin', 'late', 'Late'), ('stale-coin', 'stale', 'Stale')`;
        await sql`
          INSERT INTO market_snapshots (time, coin_id, vs_currency, price, source)
          VALUES (now() - interval '3 hours', 'late-coin', 'usd', 2, 'markets'),
                 (now() - interval '28 hours', 'late-coin', 'usd', 1, 'markets'),
                 (now() - interval '30 hours', 'stale-coin', 'usd', 2, 'markets'),
                 (now() - interval '55 hours', 'stale-coin', 'usd', 1, 'markets')`;
        // Every instance of both windows against a computation in TypeScript from the raw rows: per enabled coin,
        // its newest row if of the last day, and the newest row one to two windows before it (none if its price
        // is not above 0).
        const rows = await sql<{ coin_id: string; time: Date; price: number }[]>`
          SELECT coin_id, time, price FROM market_snapshots
          WHERE vs_currency = 'usd' AND time > now() - interval '4 days' ORDER BY coin_id, time`;
        const enabled = await sql<{ coin_id: string; move_1h_pct: number; move_24h_pct: number }[]>`
          SELECT coin_id, move_1h_pct, move_24h_pct FROM alert_coin_thresholds WHERE enabled`;
        const now = (await sql<{ now: Date }[]>`SELECT now()`)[0]!.now;
        const movesOf = (window: "1h" | "24h") => {
          const span = (window === "1h" ? 1 : 24) * 3600_000;
          return enabled.flatMap((t) => {
            const own = rows.filter((r) => r.coin_id === t.coin_id);
            const newest = own.at(-1);
            if (!newest || newest.time.getTime() <= now.getTime() - 24 * 3600_000) return [];
            const at = newest.time.getTime();
            const reference = own.filter((r) =>
              r.time.getTime() <= at - span && r.time.getTime() >= at - 2 * span
            )
              .at(-1);
            if (!reference || !(reference.price > 0)) return [];
            return [{
              coin_id: t.coin_id,
              price: newest.price,
              reference_price: reference.price,
              change_pct: 100 * (newest.price / reference.price - 1),
              threshold_pct: window === "1h" ? t.move_1h_pct : t.move_24h_pct,
            }];
          }).sort((a, b) => a.coin_id < b.coin_id ? -1 : 1);
        };
        for (const window of ["1h", "24h"] as const) {
          const actual = await reader<
            {
              coin_id: string;
              price: number;
              reference_price: number;
              change_pct: number;
              threshold_pct: number;
            }[]
          >`
            SELECT coin_id, price, reference_price, change_pct, threshold_pct FROM alert_price_moves
            WHERE move_window = ${window} ORDER BY coin_id`;
          const expected = movesOf(window);
          assert.deepEqual(
            actual.map((m) => m.coin_id),
            expected.map((e) => e.coin_id),
            `${window} instances`,
          );
          actual.forEach((m, i) => {
            const e = expected[i]!;
            assert.deepEqual(
              [m.price, m.reference_price, m.threshold_pct],
              [e.price, e.reference_price, e.threshold_pct],
              `${window} ${m.coin_id}`,
            );
            assert.ok(
              Math.abs(m.change_pct - e.change_pct) <= 1e-9 * Math.abs(e.change_pct),
              `${window} ${m.coin_id}`,
            );
          });
        }
        const moved = await reader<{ coin_id: string; change_pct: number }[]>`
          SELECT coin_id, change_pct FROM alert_price_moves WHERE move_window = '24h' ORDER BY coin_id`;
        assert.ok(moved.length >= 15, `most seeded coins have a 24h move (${moved.length})`);
        assert.equal(moved.find((m) => m.coin_id === "late-coin")?.change_pct, 100, "observed 3 hours ago");
        assert.ok(!moved.some((m) => m.coin_id === "stale-coin"), "last observed 30 hours ago: no instance");

        // A volatility spike is measured with the figures of the view volatility (checked against an
        // independent computation in sql/analytics_test.ts): bitcoin has hourly data for the last 30 days.
        const [spike] = await reader<{ vol_24h: number; vol_30d: number; spike_ratio: number }[]>`
          SELECT vol_24h, vol_30d, spike_ratio FROM alert_volatility_spikes WHERE coin_id = 'bitcoin'`;
        const [volatility] = await reader<{ vol_intraday_24h: number; vol_30d: number }[]>`
          SELECT vol_intraday_24h, vol_30d FROM volatility WHERE coin_id = 'bitcoin' AND vs_currency = 'usd'`;
        assert.ok(spike && volatility, "bitcoin has a volatility spike row and a volatility row");
        const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.abs(b);
        assert.ok(close(spike.vol_24h, volatility.vol_intraday_24h), `vol_24h ${JSON.stringify(spike)}`);
        assert.ok(close(spike.vol_30d, volatility.vol_30d), `vol_30d ${JSON.stringify(spike)}`);
        assert.ok(close(spike.spike_ratio, volatility.vol_intraday_24h / volatility.vol_30d), "spike_ratio");

        // Freshness: the observed interval is the 5-minute schedule, stale after 3 of them.
        const freshness = async () =>
          (await reader<
            {
              snapshot_age_seconds: number;
              schedule_interval_seconds: number;
              stale_after_seconds: number;
              schedule_interval_source: string;
              is_stale: boolean;
            }[]
          >`
            SELECT * FROM pipeline_freshness`)[0]!;
        const fresh = await freshness();
        assert.equal(fresh.schedule_interval_source, "observed");
        assert.equal(fresh.schedule_interval_seconds, 300);
        assert.equal(fresh.stale_after_seconds, 900);
        assert.ok(
          fresh.snapshot_age_seconds < 900 && !fresh.is_stale,
          `fresh data: ${JSON.stringify(fresh)}`,
        );
        // No snapshot for 20 minutes: stale.
        await sql`DELETE FROM market_snapshots WHERE time > now() - interval '20 minutes'`;
        const stale = await freshness();
        assert.ok(
          stale.snapshot_age_seconds > 1200 && stale.is_stale,
          `stale data: ${JSON.stringify(stale)}`,
        );
        // No snapshot at all (the collector never wrote one): the stale-data rule must fire, not see NoData.
        await sql`DELETE FROM market_snapshots`;
        const staleRule = alertQueries(await loadProvisioning()).filter((q) => q.ruleUid === "stale-data");
        const [age, limit] = await Promise.all(
          staleRule.map(async (q) => Object.values((await reader.unsafe(q.rawSql))[0] ?? {})[1] as number),
        );
        assert.equal(staleRule.length, 2);
        assert.ok(age! > limit!, `never-collected data must alert: age ${age}, limit ${limit}`);

        // Collector errors: the failed cycles of the last hour (seeded: every 37th cycle) per kind.
        const errors = await reader<{ kind: string; failed_runs: number }[]>`
          SELECT kind, failed_runs FROM collector_errors ORDER BY kind`;
        assert.deepEqual(errors.map((e) => e.kind), ["backfill", "cycle", "gap_repair", "retention"]);
        const [failed] = await sql<{ expected: number }[]>`
          SELECT count(*)::int AS expected FROM ingest_runs
          WHERE kind = 'cycle' AND status = 'failed' AND started_at > now() - interval '1 hour'`;
        assert.ok(failed);
        assert.equal(errors.find((e) => e.kind === "cycle")?.failed_runs, failed.expected);
      } finally {
        await reader.end();
      }
    });
  });
}

Deno.test("time_bucket in plain PostgreSQL mode gives TimescaleDB's buckets", async () => {
  await withTestDatabase("postgres", async ({ sql }) => {
    const [row] = await sql<{ five: Date; day: Date; week: Date }[]>`
      SELECT time_bucket('300.000s', timestamptz '2024-03-10 10:07:31+00') AS five,
             time_bucket('86400.000s', timestamptz '2024-03-10 10:07:31+00') AS day,
             time_bucket('604800.000s', timestamptz '2024-03-10 10:07:31+00') AS week`;
    assert.equal(row?.five.toISOString(), "2024-03-10T10:05:00.000Z");
    assert.equal(row?.day.toISOString(), "2024-03-10T00:00:00.000Z");
    // TimescaleDB aligns weeks on Monday (origin 2000-01-03): 2024-03-10 is a Sunday.
    assert.equal(row?.week.toISOString(), "2024-03-04T00:00:00.000Z");
    await assert.rejects(sql`SELECT time_bucket('1 month', now())`, /month and year widths/);
  });
});

if (modes.includes("timescaledb")) {
  Deno.test("time_bucket: plain mode on a database that already has the extension keeps the extension's", async () => {
    await withTestDatabase("postgres", async ({ sql, url }) => {
      const superuser = connect(url, { max: 1 });
      try {
        await superuser`CREATE EXTENSION timescaledb`;
      } finally {
        await superuser.end();
      }
      await migrate(sql, { mode: "postgres" });
      const [row] = await sql<{ schema: string; language: string }[]>`
        SELECT n.nspname AS schema, l.lanname AS language
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
        WHERE p.oid = to_regprocedure('time_bucket(interval, timestamptz)')`;
      assert.equal(row?.language, "c", "TimescaleDB's own (C) function, not the plpgsql stand-in");
    }, { migrate: false });
  });

  Deno.test("time_bucket: the plain-PostgreSQL function equals TimescaleDB's", async () => {
    const samples = ["2024-03-10 10:07:31+00", "1999-12-31 23:59:59+00", "2021-05-15 14:39:54.123+00"];
    const widths = ["300.000s", "3600.000s", "86400.000s", "604800.000s", "1036800.000s", "0.020s"];
    const results: Record<string, string[]> = {};
    for (const mode of ["postgres", "timescaledb"] as const) {
      await withTestDatabase(mode, async ({ sql }) => {
        results[mode] = [];
        for (const width of widths) {
          for (const ts of samples) {
            const [row] = await sql.unsafe(`SELECT time_bucket('${width}', timestamptz '${ts}')::text AS b`);
            results[mode]!.push(`${width} ${ts} ${row?.b}`);
          }
        }
      });
    }
    assert.deepEqual(results.postgres, results.timescaledb);
  });
}

Deno.test("the harness rejects what Grafana rejects", async () => {
  await withTestDatabase("postgres", async ({ connectAs }) => {
    const reader = connectAs("observatory_reader", { max: 1 });
    try {
      const now = Date.now();
      const options = {
        range: { from: new Date(now - HOUR), to: new Date(now) },
        intervalMs: MIN_INTERVAL_MS,
        timescaledb: true,
        variables: {},
      };
      const attempt = (rawSql: string, format: "table" | "time_series" = "time_series") =>
        check(reader, { label: "probe", kind: "panel", rawSql, format }, options, "probe");
      await assert.rejects(attempt("SELECT 1 AS value"), /no time column/);
      await assert.rejects(
        attempt("SELECT now() - x * interval '1 hour' AS time, x AS v FROM generate_series(1, 3) x"),
        /not sorted by time/,
      );
      await assert.rejects(attempt("SELECT now() AS time, true AS up"), /is not numeric/);
      await assert.rejects(
        attempt("SELECT now() AS time, 'btc' AS coin, 1 AS v UNION ALL SELECT now(), 'btc', 2"),
        /two rows for one time and label set/,
      );
      await assert.rejects(attempt("SELECT 1 WHERE false", "table"), /no rows on seeded data/);
      await assert.rejects(attempt("SELECT * FROM internal.schema_info", "table"), /permission denied/);
      await assert.rejects(attempt("SELECT $__timeGroup(now())", "table"), /needs time column and interval/);
      const ok = await attempt(
        "SELECT $__timeGroupAlias(t, '1h'), 'x' AS k, 1::int8 AS v FROM generate_series($__timeFrom()::timestamptz, " +
          "$__timeTo()::timestamptz, interval '20 minutes') t GROUP BY 1 ORDER BY 1",
      );
      assert.deepEqual(ok.labels, ["k"]);
    } finally {
      await reader.end();
    }
  });
});
