/** A migrated throwaway database for benchmarks (Deno.bench has no per-module setup hook). */
import { connect, type Sql } from "../db/connect.ts";
import { migrate, type StorageMode } from "../db/migrate.ts";
import { ADMIN_URL } from "../testing/db.ts";

export interface BenchDatabase {
  name: string;
  url: string;
  sql: Sql;
  mode: StorageMode;
  drop(): Promise<void>;
}

/**
 * A fresh database. Deno.bench has no teardown that can await, so databases of earlier runs are dropped
 * here instead: those not in use (DROP without FORCE fails for a database someone is connected to).
 */
export async function benchDatabase(mode: StorageMode = "postgres"): Promise<BenchDatabase> {
  const name = `obs_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = connect(ADMIN_URL, { max: 1 });
  const stale = await admin<{ datname: string }[]>`
    SELECT datname FROM pg_database WHERE datname ~ '^obs_bench_[0-9a-f]{12}$'`;
  for (const { datname } of stale) await admin.unsafe(`DROP DATABASE IF EXISTS ${datname}`).catch(() => {});
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const sql = connect(url.toString(), { max: 4 });
  if (mode === "timescaledb") await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`;
  await migrate(sql, { mode });
  return {
    name,
    url: url.toString(),
    sql,
    mode,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
