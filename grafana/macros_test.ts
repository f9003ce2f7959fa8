/**
 * Golden tests of the macro expander: every case of Grafana's own
 * pkg/tsdb/grafana-postgresql-datasource/macros_test.go at grafana/grafana commit
 * 446b3e1f13300e6160905e8e1c7c39fcab9aa084 (TestMacroEngine, TestInterpolateSQLCommenter,
 * TestMacroEngineConcurrency, TestStripSQLComments), with the exact expected strings; then the frontend
 * variable formatting of the Postgres datasource and the interval helpers.
 */
import assert from "node:assert/strict";
import {
  formatInterval,
  goTime,
  interpolateBackend,
  interpolateFrontend,
  MacroError,
  panelIntervalMs,
  parseInterval,
  stripSqlComments,
  type TimeRange,
} from "./macros.ts";

const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0) =>
  new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));

const engine = (range: TimeRange, sql: string, intervalMs = 0) =>
  interpolateBackend(sql, { range, intervalMs, timescaledb: false });
const engineTS = (range: TimeRange, sql: string, intervalMs = 0) =>
  interpolateBackend(sql, { range, intervalMs, timescaledb: true });

Deno.test("macros_test.go: time range 2018-04-12 18:00 to 18:05", async (t) => {
  const from = utc(2018, 4, 12, 18);
  const to = new Date(from.getTime() + 5 * 60_000);
  const range = { from, to };
  const fromUnix = from.getTime() / 1000;
  const toUnix = to.getTime() / 1000;
  const nano = (d: Date) => (BigInt(d.getTime()) * 1_000_000n).toString();

  await t.step("interpolate __time function", () => {
    assert.equal(engine(range, "select $__time(time_column)"), 'select time_column AS "time"');
  });
  await t.step("interpolate __time function wrapped in aggregation", () => {
    assert.equal(engine(range, "select min($__time(time_column))"), 'select min(time_column AS "time")');
  });
  await t.step("interpolate __timeFilter function", () => {
    assert.equal(
      engine(range, "WHERE $__timeFilter(time_column)"),
      `WHERE time_column BETWEEN '${goTime(from)}' AND '${goTime(to)}'`,
    );
    assert.equal(goTime(from), "2018-04-12T18:00:00Z");
  });
  await t.step("interpolate __timeFrom function", () => {
    assert.equal(engine(range, "select $__timeFrom()"), "select '2018-04-12T18:00:00Z'");
  });
  await t.step("interpolate __timeTo function", () => {
    assert.equal(engine(range, "select $__timeTo()"), "select '2018-04-12T18:05:00Z'");
  });
  await t.step("interpolate __timeGroup function pre 5.3 compatibility", () => {
    assert.equal(
      engine(range, "SELECT $__timeGroup(time_column,'5m'), value"),
      'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", value',
    );
    assert.equal(
      engine(range, "SELECT $__timeGroup(time_column,'5m') as time, value"),
      "SELECT floor(extract(epoch from time_column)/300)*300 as time, value",
    );
  });
  await t.step("interpolate __timeGroup function", () => {
    const sql = engine(range, "SELECT $__timeGroup(time_column,'5m')");
    const sql2 = engine(range, "SELECT $__timeGroupAlias(time_column,'5m')");
    assert.equal(sql, "SELECT floor(extract(epoch from time_column)/300)*300");
    assert.equal(sql2, sql + ' AS "time"');
  });
  await t.step("interpolate __timeGroup function with spaces between args", () => {
    const sql = engine(range, "$__timeGroup(time_column , '5m')");
    const sql2 = engine(range, "$__timeGroupAlias(time_column , '5m')");
    assert.equal(sql, "floor(extract(epoch from time_column)/300)*300");
    assert.equal(sql2, sql + ' AS "time"');
  });
  await t.step("interpolate __timeGroup function with TimescaleDB enabled", () => {
    assert.equal(
      engineTS(range, "GROUP BY $__timeGroup(time_column,'5m')"),
      "GROUP BY time_bucket('300.000s',time_column)",
    );
  });
  await t.step("interpolate __timeGroup function with spaces between args and TimescaleDB enabled", () => {
    assert.equal(
      engineTS(range, "GROUP BY $__timeGroup(time_column , '5m')"),
      "GROUP BY time_bucket('300.000s',time_column)",
    );
  });
  await t.step(
    "interpolate __timeGroup function with large time range as an argument and TimescaleDB enabled",
    () => {
      assert.equal(
        engineTS(range, "GROUP BY $__timeGroup(time_column , '12d')"),
        "GROUP BY time_bucket('1036800.000s',time_column)",
      );
    },
  );
  await t.step(
    "interpolate __timeGroup function with small time range as an argument and TimescaleDB enabled",
    () => {
      assert.equal(
        engineTS(range, "GROUP BY $__timeGroup(time_column , '20ms')"),
        "GROUP BY time_bucket('0.020s',time_column)",
      );
    },
  );
  await t.step("interpolate __unixEpochFilter function", () => {
    assert.equal(
      engine(range, "select $__unixEpochFilter(time)"),
      `select time >= ${fromUnix} AND time <= ${toUnix}`,
    );
  });
  await t.step("interpolate __unixEpochNanoFilter function", () => {
    assert.equal(
      engine(range, "select $__unixEpochNanoFilter(time)"),
      `select time >= ${nano(from)} AND time <= ${nano(to)}`,
    );
  });
  await t.step("interpolate __unixEpochNanoFrom function", () => {
    assert.equal(engine(range, "select $__unixEpochNanoFrom()"), `select ${nano(from)}`);
    assert.equal(nano(from), "1523556000000000000");
  });
  await t.step("interpolate __unixEpochNanoTo function", () => {
    assert.equal(engine(range, "select $__unixEpochNanoTo()"), `select ${nano(to)}`);
  });
  await t.step("interpolate __unixEpochGroup function", () => {
    const sql = engine(range, "SELECT $__unixEpochGroup(time_column+time_adjustment,'5m')");
    const sql2 = engine(range, "SELECT $__unixEpochGroupAlias(time_column+time_adjustment,'5m')");
    assert.equal(sql, "SELECT floor((time_column+time_adjustment)/300)*300");
    assert.equal(sql2, sql + ' AS "time"');
  });
});

for (
  const [label, from, to] of [
    ["1960-02-01 07:00 to 1965-02-03 08:00", utc(1960, 2, 1, 7), utc(1965, 2, 3, 8)],
    ["1960-02-01 07:00 to 1980-02-03 08:00", utc(1960, 2, 1, 7), utc(1980, 2, 3, 8)],
  ] as const
) {
  Deno.test(`macros_test.go: time range ${label}`, () => {
    const range = { from, to };
    assert.equal(
      engine(range, "WHERE $__timeFilter(time_column)"),
      `WHERE time_column BETWEEN '${goTime(from)}' AND '${goTime(to)}'`,
    );
    assert.equal(
      engine(range, "select $__unixEpochFilter(time)"),
      `select time >= ${from.getTime() / 1000} AND time <= ${to.getTime() / 1000}`,
    );
    const nano = (d: Date) => (BigInt(d.getTime()) * 1_000_000n).toString();
    assert.equal(
      engine(range, "select $__unixEpochNanoFilter(time)"),
      `select time >= ${nano(from)} AND time <= ${nano(to)}`,
    );
    // Negative epochs before 1970, as Go prints them.
    assert.match(engine(range, "select $__unixEpochFilter(time)"), /^select time >= -312915600 AND/);
  });
}

Deno.test("macros_test.go: time range 1960-02-01 07:00:00.5 to 1980-02-03 08:00:00.5", () => {
  const from = utc(1960, 2, 1, 7, 0, 0, 500);
  const to = utc(1980, 2, 3, 8, 0, 0, 500);
  assert.equal(goTime(from), "1960-02-01T07:00:00.5Z");
  assert.equal(goTime(to), "1980-02-03T08:00:00.5Z");
  assert.equal(
    engine({ from, to }, "WHERE $__timeFilter(time_column)"),
    "WHERE time_column BETWEEN '1960-02-01T07:00:00.5Z' AND '1980-02-03T08:00:00.5Z'",
  );
});

Deno.test("macros_test.go: TestInterpolateSQLCommenter", async (t) => {
  const from = utc(2018, 4, 12, 18);
  const range = { from, to: new Date(from.getTime() + 5 * 60_000) };
  const tenMinutes = 10 * 60_000;
  await t.step("preserves an inert trailing tag while interpolating the body", () => {
    assert.equal(
      engine(range, "SELECT $__interval /*app='grafana',source='bi'*/", tenMinutes),
      "SELECT 10m /*app='grafana',source='bi'*/",
    );
  });
  await t.step("strips a tag that embeds the interval macro", () => {
    assert.equal(engine(range, "SELECT 1 /*i='$__interval'*/", tenMinutes), "SELECT 1 ");
  });
  await t.step("strips a tag whose macro completes across the comment boundary", () => {
    assert.equal(
      engine(range, "SELECT 1 /*k='$__timeFilter(t'*/ WHERE (x = 1)", tenMinutes),
      "SELECT 1  WHERE (x = 1)",
    );
  });
});

Deno.test("macros_test.go: TestMacroEngineConcurrency (two independent expansions agree)", async () => {
  const from = utc(2018, 4, 12, 18);
  const range = { from, to: new Date(from.getTime() + 5 * 60_000) };
  const [a, b] = await Promise.all([
    Promise.resolve().then(() => engine(range, "SELECT $__timeGroup(time_column,'5m')")),
    Promise.resolve().then(() => engine(range, "SELECT $__timeGroup(time_column,'5m')")),
  ]);
  assert.equal(a, "SELECT floor(extract(epoch from time_column)/300)*300");
  assert.equal(b, a);
});

Deno.test("macros_test.go: TestStripSQLComments", async (t) => {
  const cases: [string, string, string][] = [
    ["line comment stripped", "SELECT 1 -- a comment", "SELECT 1 "],
    ["block comment stripped", "SELECT /* a comment */ 1", "SELECT  1"],
    ["multiline block comment stripped", "SELECT /*\n  multiline\n  comment\n*/ 1", "SELECT  1"],
    [
      "line comment inside single-quoted string preserved",
      "SELECT '-- not a comment' AS label",
      "SELECT '-- not a comment' AS label",
    ],
    [
      "block comment inside single-quoted string preserved",
      "SELECT '/* not a comment */' AS label",
      "SELECT '/* not a comment */' AS label",
    ],
    [
      "line comment inside double-quoted identifier preserved",
      'SELECT "col -- name" FROM t',
      'SELECT "col -- name" FROM t',
    ],
    [
      "block comment inside double-quoted identifier preserved",
      'SELECT "col /* name */" FROM t',
      'SELECT "col /* name */" FROM t',
    ],
    [
      "doubled-quote escape inside single-quoted string",
      "SELECT 'it''s fine -- not a comment' AS v",
      "SELECT 'it''s fine -- not a comment' AS v",
    ],
    [
      "doubled-quote escape inside double-quoted identifier",
      'SELECT "col ""-- name""" FROM t',
      'SELECT "col ""-- name""" FROM t',
    ],
    [
      "mixed: -- inside string then real -- comment",
      "SELECT '-- in string' AS a -- real comment",
      "SELECT '-- in string' AS a ",
    ],
    [
      "mixed: block comment inside string then real block comment",
      "SELECT '/* in string */' AS a /* real comment */",
      "SELECT '/* in string */' AS a ",
    ],
    ["no-op: query with no comments", "SELECT col FROM t WHERE col > 1", "SELECT col FROM t WHERE col > 1"],
    ["newline after line comment is preserved", "SELECT 1 -- comment\nFROM t", "SELECT 1 \nFROM t"],
    [
      "line comment inside empty dollar-quoted string preserved",
      "SELECT $$ -- not a comment $$",
      "SELECT $$ -- not a comment $$",
    ],
    [
      "block comment inside empty dollar-quoted string preserved",
      "SELECT $$ /* not a comment */ $$",
      "SELECT $$ /* not a comment */ $$",
    ],
    [
      "line comment inside tagged dollar-quoted string preserved",
      "SELECT $body$ -- not a comment $body$",
      "SELECT $body$ -- not a comment $body$",
    ],
    [
      "grafana macro not confused with dollar-quote",
      "SELECT $__timeFrom() -- comment",
      "SELECT $__timeFrom() ",
    ],
    ["positional parameter not confused with dollar-quote", "SELECT $1 -- comment", "SELECT $1 "],
    [
      "preserves trailing SQLCommenter tag before semicolon",
      "SELECT 1 AS value\n/*application='grafana',source='bi',route='test',feature='repro'*/;",
      "SELECT 1 AS value\n/*application='grafana',source='bi',route='test',feature='repro'*/;",
    ],
    [
      "preserves inline SQLCommenter tag",
      "SELECT 1 /*application='grafana',feature='panel'*/",
      "SELECT 1 /*application='grafana',feature='panel'*/",
    ],
    [
      "strips block comment shaped like a tag but containing a macro",
      "SELECT 1 /*range='$__timeFilter(t)'*/",
      "SELECT 1 ",
    ],
  ];
  for (const [name, input, want] of cases) {
    await t.step(name, () => assert.equal(stripSqlComments(input), want));
  }
});

Deno.test("macro errors are reported as Grafana reports them", () => {
  const from = utc(2018, 4, 12, 18);
  const range = { from, to: new Date(from.getTime() + 5 * 60_000) };
  assert.throws(() => engine(range, "SELECT $__nope(x)"), new MacroError('unknown macro "__nope"'));
  assert.throws(() => engine(range, "SELECT $__timeGroup(x)"), /needs time column and interval/);
  assert.throws(
    () => engine(range, "SELECT $__timeGroup(x,'5 minutes')"),
    /error parsing interval '5 minutes'/,
  );
  assert.throws(() => engine(range, "SELECT $__timeGroup(x,'0s')"), /interval must be positive/);
  assert.throws(() => engine(range, "SELECT $__timeGroup(x,'5m',zero)"), /error parsing fill value zero/);
  // An empty argument list is one empty argument in Go: no error, an empty column.
  assert.equal(
    engine(range, "WHERE $__timeFilter()"),
    "WHERE  BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'",
  );
  // Fill values that Grafana accepts.
  for (const fill of ["NULL", "previous", "0", "1.5"]) {
    assert.equal(engine(range, `$__timeGroup(x,'1h',${fill})`), "floor(extract(epoch from x)/3600)*3600");
  }
  // Arguments end at the first ')' and split on every ',': a function call as the column breaks the macro.
  assert.throws(() => engine(range, "$__timeGroup(date_trunc('day', t),'1h')"), /error parsing interval t$/);
});

Deno.test("non-Timescale $__timeGroup prints seconds like Go's %v", () => {
  const from = utc(2018, 4, 12, 18);
  const range = { from, to: new Date(from.getTime() + 5 * 60_000) };
  assert.equal(engine(range, "$__timeGroup(t,'7d')"), "floor(extract(epoch from t)/604800)*604800");
  assert.equal(engine(range, "$__timeGroup(t,'12d')"), "floor(extract(epoch from t)/1.0368e+06)*1.0368e+06");
  assert.equal(engine(range, "$__timeGroup(t,'20ms')"), "floor(extract(epoch from t)/0.02)*0.02");
  assert.equal(engine(range, "$__timeGroup(t,'1h30m')"), "floor(extract(epoch from t)/5400)*5400");
});

Deno.test("intervals: gtime.FormatInterval, gtime.ParseInterval and the panel interval", () => {
  assert.equal(formatInterval(90_000), "1m");
  assert.equal(formatInterval(0), "1ms");
  assert.equal(formatInterval(3_600_000), "1h");
  assert.equal(formatInterval(86_400_000 * 400), "1y");
  assert.equal(parseInterval("5m"), 300_000);
  assert.equal(parseInterval("1.5h"), 5_400_000);
  const now = utc(2024, 1, 31, 0);
  assert.equal(parseInterval("1M", now), 31 * 86_400_000, "AddDate(0,1,0) from Jan 31 normalizes to Mar 2");
  assert.equal(parseInterval("1y", now), 366 * 86_400_000);
  assert.throws(() => parseInterval("5 minutes"), MacroError);
  const day = { from: utc(2024, 1, 1, 0), to: utc(2024, 1, 2, 0) };
  assert.equal(panelIntervalMs(day), 60_000, "24h over 1000 points rounds to 1m");
  assert.equal(panelIntervalMs({ from: utc(2023, 1, 1, 0), to: utc(2024, 1, 1, 0) }), 21_600_000, "1y → 6h");
});

Deno.test("frontend: Postgres variable formatting (interpolateVariable and formats)", () => {
  const range = { from: utc(2024, 1, 1, 0), to: utc(2024, 1, 1, 6) };
  const run = (sql: string, variables: Record<string, string | string[] | number>) =>
    interpolateFrontend(sql, { range, intervalMs: 30_000, variables });
  // Multi-value and All arrive as arrays: each value quoted, joined without a space.
  assert.equal(
    run("coin_id IN ($coins)", { coins: ["bitcoin", "ethereum"] }),
    "coin_id IN ('bitcoin','ethereum')",
  );
  assert.equal(run("coin_id IN (${coins})", { coins: ["o'brien"] }), "coin_id IN ('o''brien')");
  // A single string is escaped but not quoted; the query quotes it.
  assert.equal(run("vs_currency = '$currency'", { currency: "us'd" }), "vs_currency = 'us''d'");
  assert.equal(run("LIMIT $n", { n: 5 }), "LIMIT 5");
  assert.equal(run("${coins:csv}|${coins:pipe}|[[coins:raw]]", { coins: ["a", "b"] }), "a,b|a|b|a,b");
  assert.equal(run("${coins:sqlstring}", { coins: ["a'b"] }), "'a''b'");
  assert.equal(run("${coin:queryparam}", { coin: "bitcoin" }), "var-coin=bitcoin");
  // Built-ins of the request, and macros left for the backend.
  assert.equal(
    run("$__interval $__interval_ms ${__from} ${__to} $__timeFilter(t) $unknown", {}),
    `30s 30000 ${range.from.getTime()} ${range.to.getTime()} $__timeFilter(t) $unknown`,
  );
  assert.throws(() => run("${coins:lucene}", { coins: ["a"] }), /format 'lucene'/);
});
