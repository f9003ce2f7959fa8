import assert from "node:assert/strict";
import { connect } from "./connect.ts";
import { ANALYTICS, loadMigrations, migrate, type MigrateResult, SQL_DIR } from "./migrate.ts";
import { COLLECTOR_ROLE, storageModes, withTestDatabase } from "../testing/db.ts";

const modes = await storageModes();

async function relations(sql: ReturnType<typeof connect>) {
  return await sql<{ name: string; kind: string }[]>`
    SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY 1`;
}

async function columns(sql: ReturnType<typeof connect>, table: string) {
  return (await sql<{ column_name: string; data_type: string }[]>`
    SELECT column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = ${table} ORDER BY ordinal_position`)
    .map((c) => `${c.column_name}:${c.data_type}`);
}

for (const mode of modes) {
  Deno.test(`migrate (${mode}): creates the public surface, and a second run is a no-op`, async () => {
    await withTestDatabase(mode, async ({ sql }) => {
      const names = (await relations(sql)).map((r) => r.name);
      for (
        const required of [
          "coins",
          "market_snapshots",
          "global_snapshots",
          "candles_1h",
          "candles_1d",
          "ingest_runs",
        ]
      ) {
        assert(names.includes(required), `${required} missing in ${mode} mode: ${names.join(", ")}`);
      }
      const again = await migrate(sql, { mode: "auto" });
      assert.deepEqual(again, { mode, applied: [] });
      const [info] = await sql<{ mode: string }[]>`SELECT mode FROM internal.schema_info`;
      assert.deepEqual(info?.mode, mode);
    });
  });
}

if (modes.includes("timescaledb")) {
  Deno.test("migrate (timescaledb): hypertable, continuous aggregates and their policies", async () => {
    await withTestDatabase("timescaledb", async ({ sql }) => {
      const hypertables = await sql`SELECT hypertable_name FROM timescaledb_information.hypertables
        WHERE hypertable_schema = 'public'`;
      assert.deepEqual(hypertables.map((h) => h.hypertable_name), ["market_snapshots"]);
      const caggs =
        await sql`SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates
        ORDER BY view_name`;
      assert.deepEqual(caggs.map((c) => [c.view_name, c.materialized_only]), [
        ["candles_1d", false],
        ["candles_1h", false],
        ["candles_1w", false],
        ["candles_4w", false],
      ]);
      const jobs = await sql<{ proc_name: string; target: string }[]>`
        SELECT proc_name, coalesce(hypertable_name, '') AS target FROM timescaledb_information.jobs
        WHERE proc_schema = '_timescaledb_functions' AND proc_name <> 'policy_job_stat_history_retention'
        ORDER BY proc_name, target`;
      const kinds = jobs.map((j) => j.proc_name);
      assert.deepEqual(kinds.filter((k) => k === "policy_refresh_continuous_aggregate").length, 4);
      assert(kinds.includes("policy_compression"), `no columnstore policy: ${kinds.join(", ")}`);
      assert(kinds.includes("policy_retention"), `no retention policy: ${kinds.join(", ")}`);
    });
  });

  Deno.test("storage modes expose the same columns in the same order", async () => {
    const shapes: Record<string, string[][]> = {};
    for (const mode of ["postgres", "timescaledb"] as const) {
      await withTestDatabase(mode, async ({ sql }) => {
        shapes[mode] = [];
        for (const { name } of await relations(sql)) shapes[mode]!.push([name, ...await columns(sql, name)]);
      });
    }
    assert.deepEqual(shapes.timescaledb, shapes.postgres);
  });
}

Deno.test("migrate: an applied file that was edited stops the run with a clear error", async () => {
  await withTestDatabase("postgres", async ({ sql }) => {
    const dir = await Deno.makeTempDir();
    try {
      for await (const entry of Deno.readDir(SQL_DIR)) {
        if (entry.isFile) await Deno.copyFile(new URL(entry.name, SQL_DIR), `${dir}/${entry.name}`);
      }
      await Deno.writeTextFile(`${dir}/001_core.sql`, "\n-- an edit", { append: true });
      await assert.rejects(() => migrate(sql, { dir: new URL(`file://${dir}/`) }), {
        name: "MigrationError",
        message: /001_core\.sql was edited after it was applied/,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("migrate: a failing file is rolled back and named in the error", async () => {
  await withTestDatabase("postgres", async ({ sql }) => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/001_ok.sql`, "CREATE TABLE first_one (x int);");
      await Deno.writeTextFile(
        `${dir}/002_bad.sql`,
        "CREATE TABLE second_one (x int);\nSELECT no_such_function();",
      );
      await assert.rejects(() => migrate(sql, { dir: new URL(`file://${dir}/`) }), {
        name: "MigrationError",
        message: /^sql\/002_bad\.sql failed: .*no_such_function/,
      });
      const tables = await sql`SELECT to_regclass('first_one') AS a, to_regclass('second_one') AS b`;
      assert.deepEqual([tables[0]!.a, tables[0]!.b], ["first_one", null]);
      const applied = await sql`SELECT id FROM internal.schema_migrations ORDER BY id`;
      assert.deepEqual(applied.map((r) => r.id), ["001_ok"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});

Deno.test("migrate: two instances starting together apply each file once", async () => {
  await withTestDatabase("postgres", async ({ connectAs }) => {
    const a = connectAs(COLLECTOR_ROLE);
    const b = connectAs(COLLECTOR_ROLE);
    try {
      // Both settle before the connections end (ending one while its migration runs would hang).
      const [ra, rb] = (await Promise.allSettled([migrate(a), migrate(b)])).map((r) => {
        if (r.status === "rejected") throw r.reason;
        return r.value;
      }) as [MigrateResult, MigrateResult];
      const expected = [...(await loadMigrations(ra.mode)).map((m) => m.file), ANALYTICS];
      assert.deepEqual([...ra.applied, ...rb.applied].sort(), expected.sort());
      assert(ra.applied.length === 0 || rb.applied.length === 0, "both instances applied migrations");
    } finally {
      await a.end();
      await b.end();
    }
  }, { migrate: false });
});

Deno.test("loadMigrations: a migration id needs one common file or both mode variants", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/001_x.postgres.sql`, "SELECT 1;");
    await assert.rejects(() => loadMigrations("postgres", new URL(`file://${dir}/`)), {
      name: "MigrationError",
      message: /needs both 001_x\.timescaledb\.sql and 001_x\.postgres\.sql/,
    });
    await Deno.writeTextFile(`${dir}/001_x.timescaledb.sql`, "SELECT 1;");
    await Deno.writeTextFile(`${dir}/001_x.sql`, "SELECT 1;");
    await assert.rejects(() => loadMigrations("postgres", new URL(`file://${dir}/`)), {
      name: "MigrationError",
      message: /both a common file/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A migrations folder in a temporary directory: one numbered file and the analytics files given. */
async function surfaceDir(analytics: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/001_base.sql`, "CREATE TABLE prices (coin text, price float8);");
  await Deno.mkdir(`${dir}/analytics`);
  for (const [file, sql] of Object.entries(analytics)) {
    await Deno.writeTextFile(`${dir}/analytics/${file}`, sql);
  }
  return dir;
}

async function rewriteSurface(dir: string, analytics: Record<string, string>): Promise<void> {
  await Deno.remove(`${dir}/analytics`, { recursive: true });
  await Deno.mkdir(`${dir}/analytics`);
  for (const [file, sql] of Object.entries(analytics)) {
    await Deno.writeTextFile(`${dir}/analytics/${file}`, sql);
  }
}

const exists = async (sql: ReturnType<typeof connect>, name: string) =>
  (await sql`SELECT to_regclass(${name}) IS NOT NULL OR to_regproc(${name}) IS NOT NULL AS ok`)[0]?.ok;

Deno.test("migrate: the analytics surface is replaced as a whole when its files change, and only then", async () => {
  await withTestDatabase("postgres", async ({ sql }) => {
    const dir = await surfaceDir({
      "10_views.sql": "CREATE VIEW top_prices AS SELECT * FROM prices WHERE price > 1;",
      "20_functions.sql":
        "CREATE FUNCTION price_of(p text) RETURNS float8 LANGUAGE sql STABLE AS $$ SELECT price FROM prices WHERE coin = p $$;\n" +
        "CREATE VIEW top_coins AS SELECT coin FROM top_prices;",
    });
    const url = new URL(`file://${dir}/`);
    try {
      assert.deepEqual((await migrate(sql, { dir: url })).applied, ["001_base.sql", ANALYTICS]);
      for (const name of ["top_prices", "top_coins", "price_of"]) assert.ok(await exists(sql, name), name);
      assert.deepEqual((await migrate(sql, { dir: url })).applied, [], "unchanged files: nothing to do");

      // A numbered migration may drop a view of the surface to change what it reads: the surface follows.
      await Deno.writeTextFile(
        `${dir}/002_price_numeric.sql`,
        "DROP VIEW top_coins, top_prices; ALTER TABLE prices ALTER COLUMN price TYPE numeric;",
      );
      assert.deepEqual((await migrate(sql, { dir: url })).applied, ["002_price_numeric.sql", ANALYTICS]);
      for (const name of ["top_prices", "top_coins"]) assert.ok(await exists(sql, name), name);

      // The next version drops a view and changes a function: what the last version made is gone.
      await rewriteSurface(dir, {
        "10_views.sql": "CREATE VIEW top_prices AS SELECT coin, price * 2 AS price FROM prices;",
        "20_functions.sql":
          "CREATE FUNCTION price_of(p text, q text) RETURNS float8 LANGUAGE sql STABLE AS $$ SELECT 1::float8 $$;",
      });
      assert.deepEqual((await migrate(sql, { dir: url })).applied, [ANALYTICS]);
      assert.ok(await exists(sql, "top_prices"));
      assert.ok(!await exists(sql, "top_coins"), "a view the new version no longer has is dropped");
      const functions =
        await sql`SELECT oid::regprocedure::text AS f FROM pg_proc WHERE proname = 'price_of'`;
      assert.deepEqual(functions.map((f) => f.f), ["price_of(text,text)"]);
      const recorded = await sql`SELECT kind, identity FROM internal.analytics_objects ORDER BY identity`;
      assert.deepEqual(recorded.map((r) => `${r.kind} ${r.identity}`), [
        "FUNCTION price_of(text,text)",
        "VIEW top_prices",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});

Deno.test("migrate: a failing analytics file, a table in one, or a user's view on the surface leave the old surface", async () => {
  await withTestDatabase("postgres", async ({ sql }) => {
    const dir = await surfaceDir({ "10_views.sql": "CREATE VIEW top_prices AS SELECT * FROM prices;" });
    const url = new URL(`file://${dir}/`);
    try {
      await migrate(sql, { dir: url });
      await rewriteSurface(dir, {
        "10_views.sql": "CREATE VIEW top_prices AS SELECT no_such_column FROM prices;",
      });
      await assert.rejects(() => migrate(sql, { dir: url }), {
        name: "MigrationError",
        message: /^sql\/analytics\/10_views\.sql failed: column "no_such_column" does not exist/,
      });
      await rewriteSurface(dir, { "10_views.sql": "CREATE TABLE cache (x int);" });
      await assert.rejects(() => migrate(sql, { dir: url }), {
        name: "MigrationError",
        message: /creates cache, which is not a view: tables and indexes belong in a numbered migration/,
      });
      // A user's own view on the surface: the replacement stops and names it rather than drop it.
      await sql`CREATE VIEW my_report AS SELECT count(*) FROM top_prices`;
      await rewriteSurface(dir, { "10_views.sql": "CREATE VIEW top_prices AS SELECT coin FROM prices;" });
      await assert.rejects(() => migrate(sql, { dir: url }), {
        name: "MigrationError",
        message: /cannot drop view top_prices because other objects depend on it \(view my_report depends/,
      });
      assert.ok(await exists(sql, "top_prices"), "the old surface is intact");
      assert.ok(await exists(sql, "my_report"));
      assert.equal((await sql`SELECT count(*)::int AS n FROM internal.analytics_objects`)[0]?.n, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { migrate: false });
});
