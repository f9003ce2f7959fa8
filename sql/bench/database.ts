/**
 * Named, kept databases for the benchmark (the tests' databases are throwaway): created and migrated like
 * ingest/testing/db.ts does, so a generated year of data can be reused across benchmark runs.
 */
import { connect, type Sql } from "../../ingest/db/connect.ts";
import { migrate, SQL_DIR, type StorageMode } from "../../ingest/db/migrate.ts";
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

/** A connection acting as `role` (default: the collector, the owner, like the service). */
export function connectTo(name: string, max = 2, role = COLLECTOR_ROLE): Sql {
  return connect(databaseUrl(name), { max, role, applicationName: "analytics-bench" });
}
