/**
 * Named, kept databases for the benchmark (the tests' databases are throwaway): created and migrated like
 * ingest/testing/db.ts does, so a generated year of data can be reused across benchmark runs.
 */
import { connect, type Sql } from "../../ingest/db/connect.ts";
import { loadMigrations, migrate, SQL_DIR, type StorageMode } from "../../ingest/db/migrate.ts";
import { ADMIN_URL, COLLECTOR_ROLE } from "../../ingest/testing/db.ts";

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function databaseExists(name: string): Promise<boolean> {
  const admin = connect(ADMIN_URL, { max: 1 });
  try {
    return (await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0;
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = connect(ADMIN_URL, { max: 1 });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Create (replacing any previous one) and migrate a database owned by the collector role. */
export async function createDatabase(name: string, mode: StorageMode): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`invalid database name '${name}'`);
  await dropDatabase(name);
  const admin = connect(ADMIN_URL, { max: 1 });
  try {
    await admin.unsafe(await Deno.readTextFile(new URL("bootstrap/roles.sql", SQL_DIR))).simple();
    await admin.unsafe(`CREATE DATABASE ${name} OWNER ${COLLECTOR_ROLE}`);
  } finally {
    await admin.end();
  }
  if (mode === "timescaledb") {
    const superuser = connect(databaseUrl(name), { max: 1 });
    try {
      await superuser`CREATE EXTENSION timescaledb`;
    } finally {
      await superuser.end();
    }
  }
  const sql = connectTo(name);
  try {
    await migrate(sql, { mode });
  } finally {
    await sql.end();
  }
}

/** A connection acting as the collector role (the owner, like the service). */
export function connectTo(name: string, max = 2): Sql {
  return connect(databaseUrl(name), { max, role: COLLECTOR_ROLE, applicationName: "analytics-bench" });
}

/**
 * Re-apply the analytics (2xx) and later (3xx) migrations on a kept benchmark database, so a run measures
 * the current definitions without regenerating the data: drop the objects those files create, then run
 * the files again (directly: the foundation files may have changed since the data was generated).
 */
export async function reapplyAnalytics(name: string, mode: StorageMode): Promise<void> {
  const sql = connectTo(name, 1);
  try {
    const migrations = (await loadMigrations(mode)).filter((m) => m.id >= "200");
    const drops: string[] = [];
    for (const migration of migrations) {
      for (const match of migration.sql.matchAll(/^CREATE (VIEW|FUNCTION|TABLE) ([a-z_.]+)/gm)) {
        drops.push(`DROP ${match[1]} IF EXISTS ${match[2]} CASCADE;`);
      }
    }
    await sql.unsafe(`SET client_min_messages = warning; ${drops.join("\n")}`).simple();
    for (const migration of migrations) {
      await sql.unsafe(`BEGIN;\n${migration.sql}\n;\nCOMMIT;`).simple();
    }
  } finally {
    await sql.end();
  }
}
