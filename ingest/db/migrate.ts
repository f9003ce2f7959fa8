/**
 * Migration runner: applies the files of `sql/` in order, once each, in the storage mode detected for
 * the database, recording each with its checksum; then the analytics surface of `sql/analytics/`.
 *
 * File names: `NNN_name.sql` applies in both modes; `NNN_name.timescaledb.sql` / `NNN_name.postgres.sql`
 * are the two variants of one migration (a migration id has either one common file or both variants).
 * A file whose first line is `-- migrate:no-transaction` runs outside a transaction (for statements
 * TimescaleDB forbids in one, such as refreshing a continuous aggregate); it holds one statement.
 *
 * `sql/analytics/NN_name.sql` hold the views and functions of the analytics surface (no tables: they hold
 * no data). They are code, edited in place: whenever their combined checksum changes (or numbered migrations
 * ran), the whole set is replaced in one transaction (the objects it created last time are dropped, the files run in order, and
 * the objects they create are recorded), so one definition of each object lives in one file.
 */
import type { Sql } from "./connect.ts";
import { againWhileRefreshing } from "./candles.ts";

export type StorageMode = "timescaledb" | "postgres";
export type ModeSetting = StorageMode | "auto";

export interface Migration {
  /** `NNN_name`, the key recorded in internal.schema_migrations. */
  id: string;
  /** File name inside the migrations directory. */
  file: string;
  sql: string;
  checksum: string;
  transactional: boolean;
}

export interface MigrateResult {
  mode: StorageMode;
  /** Files applied, with `analytics/` when the analytics surface was (re)created. */
  applied: string[];
}

/** The analytics surface: the files of `sql/analytics/`, in order, and their combined checksum. */
export interface AnalyticsSurface {
  files: { file: string; sql: string }[];
  checksum: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Fixed advisory-lock key ("obs-mig" in ASCII) so two instances never migrate at once. */
const MIGRATION_LOCK_KEY = 0x6f62732d6d6967n;
const FILE_PATTERN = /^(\d{3}_[a-z0-9_]+?)(?:\.(timescaledb|postgres))?\.sql$/;
const ANALYTICS_PATTERN = /^\d{2}_[a-z0-9_]+\.sql$/;
/** Marker of the analytics surface in MigrateResult.applied. */
export const ANALYTICS = "analytics/";

export const SQL_DIR = new URL("../../sql/", import.meta.url);

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The migrations of `dir` that apply in `mode`, ordered by id. */
export async function loadMigrations(mode: StorageMode, dir: URL = SQL_DIR): Promise<Migration[]> {
  const byId = new Map<string, { common: string | undefined; variants: Map<string, string> }>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const match = FILE_PATTERN.exec(entry.name);
    if (!match) {
      throw new MigrationError(
        `sql/${entry.name}: name must be NNN_name.sql or NNN_name.<timescaledb|postgres>.sql`,
      );
    }
    const [, id, variant] = match as unknown as [string, string, string | undefined];
    const slot = byId.get(id) ?? { common: undefined, variants: new Map<string, string>() };
    if (variant) slot.variants.set(variant, entry.name);
    else slot.common = entry.name;
    byId.set(id, slot);
  }
  const migrations: Migration[] = [];
  for (const id of [...byId.keys()].sort()) {
    const slot = byId.get(id)!;
    if (slot.common && slot.variants.size > 0) {
      throw new MigrationError(`sql/${id}: has both a common file and mode variants; keep one or the other`);
    }
    if (!slot.common && slot.variants.size !== 2) {
      throw new MigrationError(`sql/${id}: needs both ${id}.timescaledb.sql and ${id}.postgres.sql`);
    }
    const file = slot.common ?? slot.variants.get(mode)!;
    // Line endings normalized: a Windows checkout (CRLF) must not look like an edited migration.
    const text = (await Deno.readTextFile(new URL(file, dir))).replaceAll("\r\n", "\n");
    migrations.push({
      id,
      file,
      sql: text,
      checksum: await sha256(text),
      transactional: !text.startsWith("-- migrate:no-transaction"),
    });
  }
  return migrations;
}

/** The analytics surface in `dir`/analytics/ (none when the folder does not exist). */
export async function loadAnalytics(dir: URL = SQL_DIR): Promise<AnalyticsSurface> {
  const folder = new URL(ANALYTICS, dir);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.isFile) continue;
      if (!ANALYTICS_PATTERN.test(entry.name)) {
        throw new MigrationError(`sql/${ANALYTICS}${entry.name}: name must be NN_name.sql`);
      }
      names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { files: [], checksum: await sha256("") };
    throw error;
  }
  const files = [];
  for (const name of names.sort()) {
    files.push({
      file: name,
      sql: (await Deno.readTextFile(new URL(name, folder))).replaceAll("\r\n", "\n"),
    });
  }
  return { files, checksum: await sha256(files.map((f) => `${f.file}\0${f.sql}`).join("\0")) };
}

/** A database error on one line, with its detail (which objects depend on one being dropped, say). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const detail = (error as { detail?: string }).detail;
  return detail ? `${message} (${detail.replaceAll("\n", "; ")})` : message;
}

/** Objects of schema public, with the kind DROP needs and an identity DROP accepts. */
const PUBLIC_OBJECTS = `
  SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'RELATION' END AS kind, c.oid::regclass::text AS identity
  FROM pg_class c
  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind <> 'c'
  UNION ALL
  SELECT CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
    p.oid::regprocedure::text
  FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'TYPE', t.oid::regtype::text
  FROM pg_type t
  WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('c', 'e', 'd')
    AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')`;

/** Dependents first: views, then aggregates (they use functions), functions, and types last. */
const DROP_ORDER = ["VIEW", "AGGREGATE", "FUNCTION", "PROCEDURE", "TYPE"];

/**
 * Replace the analytics surface when its files changed, or after numbered migrations (which may have
 * dropped a view of it to change a table it reads): drop what the previous version created, run the
 * files, record what they created. One transaction: readers see the old surface or the new one. Objects
 * of users that depend on the surface are not dropped: the replacement then fails, naming them.
 */
async function applyAnalytics(conn: Sql, surface: AnalyticsSurface, migrated: boolean): Promise<boolean> {
  const [state] = await conn<{ checksum: string }[]>`SELECT checksum FROM internal.analytics_surface`;
  if (!migrated && state?.checksum === surface.checksum) return false;
  let current = "";
  try {
    await conn.unsafe("BEGIN");
    const previous = await conn<{ kind: string; identity: string }[]>`
      SELECT kind, identity FROM internal.analytics_objects`;
    current = "(dropping the previous version)";
    for (const kind of DROP_ORDER) {
      const names = previous.filter((o) => o.kind === kind).map((o) => o.identity);
      if (names.length) await conn.unsafe(`DROP ${kind} IF EXISTS ${names.join(", ")}`);
    }
    const before = new Set(
      (await conn.unsafe(PUBLIC_OBJECTS) as unknown as { identity: string }[]).map((o) => o.identity),
    );
    for (const { file, sql } of surface.files) {
      current = file;
      await conn.unsafe(sql).simple();
    }
    current = "(recording the objects created)";
    const created = (await conn.unsafe(PUBLIC_OBJECTS) as unknown as { kind: string; identity: string }[])
      .filter((o) => !before.has(o.identity));
    const stored = created.find((o) => o.kind === "RELATION");
    if (stored) {
      throw new MigrationError(
        `creates ${stored.identity}, which is not a view: tables and indexes belong in a numbered migration`,
      );
    }
    await conn`DELETE FROM internal.analytics_objects`;
    if (created.length) {
      await conn`INSERT INTO internal.analytics_objects ${conn(created, "kind", "identity")}`;
    }
    await conn`
      INSERT INTO internal.analytics_surface (singleton, checksum) VALUES (true, ${surface.checksum})
      ON CONFLICT (singleton) DO UPDATE SET checksum = excluded.checksum, applied_at = now()`;
    await conn.unsafe("COMMIT");
    return true;
  } catch (error) {
    await conn.unsafe("ROLLBACK").catch(() => {});
    throw new MigrationError(`sql/${ANALYTICS}${current} failed: ${describe(error)}`);
  }
}

/**
 * Decide the storage mode: the one already recorded for this database, else the requested one, else
 * (auto) TimescaleDB when the extension exists or can be created with its community license.
 */
export async function detectMode(
  sql: Sql,
  requested: ModeSetting,
): Promise<{ mode: StorageMode; why: string }> {
  const [recorded] = await sql<{ mode: StorageMode }[]>`
    SELECT mode FROM internal.schema_info WHERE singleton`;
  if (recorded) {
    if (requested !== "auto" && requested !== recorded.mode) {
      throw new MigrationError(
        `STORAGE_MODE=${requested} but this database was created in ${recorded.mode} mode; unset STORAGE_MODE or use a new database`,
      );
    }
    return { mode: recorded.mode, why: "recorded at first migration" };
  }
  if (requested === "postgres") return { mode: "postgres", why: "STORAGE_MODE=postgres" };

  let extensionError = "";
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`;
  } catch (error) {
    extensionError = error instanceof Error ? error.message : String(error);
  }
  const [state] = await sql<{ installed: boolean; available: boolean; license: string | null }[]>`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed,
           EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
           current_setting('timescaledb.license', true) AS license`;
  const usable = state!.installed && state!.license === "timescale";
  const why = usable
    ? "timescaledb extension with the community license"
    : state!.installed
    ? `timescaledb is installed with license '${
      state!.license
    }': continuous aggregates and policies need 'timescale'`
    : state!.available
    ? `timescaledb is available on the server but this role could not create it (${extensionError}): ` +
      "have a superuser run CREATE EXTENSION timescaledb in this database before the first migration"
    : `timescaledb extension not available (${extensionError || "not installed"})`;
  if (requested === "timescaledb" && !usable) {
    throw new MigrationError(`STORAGE_MODE=timescaledb but ${why}`);
  }
  return { mode: usable ? "timescaledb" : "postgres", why };
}

/**
 * Apply pending migrations. Holds an advisory lock on a dedicated connection for the whole run, so a
 * second instance waits and then finds nothing to do.
 */
export async function migrate(
  sql: Sql,
  options: {
    mode?: ModeSetting;
    dir?: URL;
    log?: (message: string, fields?: Record<string, unknown>) => void;
  } = {},
): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      await conn.unsafe(`
        SET client_min_messages = warning;
        CREATE SCHEMA IF NOT EXISTS internal;
        CREATE TABLE IF NOT EXISTS internal.schema_info (
          singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
          mode text NOT NULL CHECK (mode IN ('timescaledb', 'postgres')),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS internal.schema_migrations (
          id text PRIMARY KEY,
          file text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS internal.analytics_surface (
          singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS internal.analytics_objects (
          kind text NOT NULL,
          identity text NOT NULL,
          PRIMARY KEY (kind, identity)
        );
        RESET client_min_messages;`).simple();
      const [self] = await conn<{ may: boolean }[]>`
        SELECT rolsuper OR rolcreaterole AS may FROM pg_roles WHERE rolname = current_user`;
      if (self?.may) {
        await conn.unsafe(await Deno.readTextFile(new URL("bootstrap/roles.sql", SQL_DIR))).simple();
      }
      const { mode, why } = await detectMode(conn as unknown as Sql, options.mode ?? "auto");
      await conn`INSERT INTO internal.schema_info (mode) VALUES (${mode}) ON CONFLICT (singleton) DO NOTHING`;
      log("storage mode", { mode, why });

      const migrations = await loadMigrations(mode, options.dir);
      const done = new Map(
        (await conn<{ id: string; file: string; checksum: string }[]>`
          SELECT id, file, checksum FROM internal.schema_migrations`).map((row) => [row.id, row]),
      );
      const applied: string[] = [];
      for (const migration of migrations) {
        const previous = done.get(migration.id);
        if (previous) {
          if (previous.checksum !== migration.checksum || previous.file !== migration.file) {
            throw new MigrationError(
              `sql/${migration.file} was edited after it was applied (checksum ${
                previous.checksum.slice(0, 12)
              } recorded, ${
                migration.checksum.slice(0, 12)
              } now): restore it and put the change in a new migration`,
            );
          }
          continue;
        }
        const record =
          `INSERT INTO internal.schema_migrations (id, file, checksum) VALUES ('${migration.id}', '${
            migration.file.replaceAll("'", "''")
          }', '${migration.checksum}');`;
        try {
          if (migration.transactional) {
            // One simple-protocol round trip in an explicit transaction block.
            await conn.unsafe(`BEGIN;\n${migration.sql}\n;\n${record}\nCOMMIT;`).simple();
          } else {
            // Alone, or PostgreSQL runs the statements of one query string in an implicit transaction.
            // It may refresh continuous aggregates, as the policies created before it may be doing.
            await againWhileRefreshing(() => conn.unsafe(migration.sql).simple());
            await conn.unsafe(record);
          }
        } catch (error) {
          if (migration.transactional) await conn.unsafe("ROLLBACK").catch(() => {});
          throw new MigrationError(`sql/${migration.file} failed: ${describe(error)}`);
        }
        applied.push(migration.file);
        log("migration applied", { file: migration.file });
      }
      const surface = await loadAnalytics(options.dir);
      if (await applyAnalytics(conn as unknown as Sql, surface, applied.length > 0)) {
        applied.push(ANALYTICS);
        log("analytics surface applied", { dir: `sql/${ANALYTICS}` });
      }
      return { mode, applied };
    } finally {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}
