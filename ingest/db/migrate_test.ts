import assert from "node:assert/strict";
import { connect } from "./connect.ts";
import { loadMigrations, migrate, SQL_DIR } from "./migrate.ts";
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
      assert.deepEqual(caggs.map((c) => [c.view_name, c.materialized_only]), [["candles_1d", false], [
        "candles_1h",
        false,
      ]]);
      const jobs = await sql<{ proc_name: string; target: string }[]>`
        SELECT proc_name, coalesce(hypertable_name, '') AS target FROM timescaledb_information.jobs
        WHERE proc_schema = '_timescaledb_functions' AND proc_name <> 'policy_job_stat_history_retention'
        ORDER BY proc_name, target`;
      const kinds = jobs.map((j) => j.proc_name);
      assert.deepEqual(kinds.filter((k) => k === "policy_refresh_continuous_aggregate").length, 2);
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
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const expected = (await loadMigrations(ra.mode)).map((m) => m.file);
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
