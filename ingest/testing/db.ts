/**
 * Throwaway databases for tests: each test gets a fresh database on the real server of DATABASE_URL
 * (default: the local one), migrated in the storage mode it asks for, and dropped afterwards.
 *
 * The database is owned by the non-superuser role `observatory_collector`, like in the compose stack;
 * the TimescaleDB extension is created by the superuser connection first, as the image's init does.
 * Connections log in with DATABASE_URL's credentials and act as a role through the `role` startup
 * parameter, so this works with trust auth and against a password-protected server (the compose
 * stack's TimescaleDB) alike.
 */
import { connect, DEFAULT_DATABASE_URL, type Sql } from "../db/connect.ts";
import { migrate, SQL_DIR, type StorageMode } from "../db/migrate.ts";

export const ADMIN_URL = Deno.env.get("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
export const COLLECTOR_ROLE = "observatory_collector";

export interface TestDatabase {
  name: string;
  mode: StorageMode;
  /** Connection as the owning collector role (what the service uses). */
  sql: Sql;
  /** URL of the database with DATABASE_URL's credentials (for a subprocess such as the service). */
  url: string;
  /** A new connection to the database acting as `role`; the caller ends it. */
  connectAs(role: string, options?: { max?: number }): Sql;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** What the compose database's init script does: create the cluster roles as the superuser. */
async function bootstrapRoles(admin: Sql): Promise<void> {
  const text = await Deno.readTextFile(new URL("bootstrap/roles.sql", SQL_DIR));
  for (let attempt = 0;; attempt++) {
    try {
      await admin.unsafe(text).simple();
      return;
    } catch (error) {
      // Parallel test files altering the same role at once: "tuple concurrently updated"; try again.
      if (attempt >= 5 || !(error instanceof Error) || !/concurrently/.test(error.message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}

let timescaleProbe: Promise<{ available: boolean; reason: string }> | undefined;

/** Whether the TimescaleDB extension (community license) can be created on this server; probed once. */
export function timescaleAvailability(): Promise<{ available: boolean; reason: string }> {
  timescaleProbe ??= (async () => {
    const name = `obs_probe_${crypto.randomUUID().slice(0, 8)}`;
    const admin = connect(ADMIN_URL, { max: 1 });
    try {
      await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE template0`);
      const probe = connect(withDatabase(ADMIN_URL, name), { max: 1 });
      try {
        await probe`CREATE EXTENSION timescaledb`;
        const [row] = await probe<{ license: string | null }[]>`
          SELECT current_setting('timescaledb.license', true) AS license`;
        return row?.license === "timescale"
          ? { available: true, reason: "timescaledb with the community license" }
          : { available: false, reason: `timescaledb license is '${row?.license}', not 'timescale'` };
      } catch (error) {
        return { available: false, reason: error instanceof Error ? error.message : String(error) };
      } finally {
        await probe.end();
      }
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  })();
  return timescaleProbe;
}

const announced = new Set<string>();

/**
 * The storage modes to run a test in: always plain PostgreSQL, and TimescaleDB where it can be created.
 * Prints the skip reason once per test module so a run without TimescaleDB says so visibly.
 */
export async function storageModes(): Promise<StorageMode[]> {
  const { available, reason } = await timescaleAvailability();
  if (!available && !announced.has("skip")) {
    announced.add("skip");
    console.warn(`%cSKIP timescaledb mode: ${reason}`, "color: yellow");
  }
  return available ? ["postgres", "timescaledb"] : ["postgres"];
}

/** Create, migrate and hand over a throwaway database; drop it afterwards whatever happens. */
export async function withTestDatabase<T>(
  mode: StorageMode,
  fn: (db: TestDatabase) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const name = `obs_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = connect(ADMIN_URL, { max: 1 });
  await bootstrapRoles(admin);
  // template0: the TimescaleDB image installs the extension in template1, and a plain-mode test
  // database must start without it.
  await admin.unsafe(`CREATE DATABASE ${name} OWNER ${COLLECTOR_ROLE} TEMPLATE template0`);
  const url = withDatabase(ADMIN_URL, name);
  const connectAs = (role: string, opts: { max?: number } = {}) => connect(url, { max: opts.max ?? 2, role });
  let sql: Sql | undefined;
  try {
    if (mode === "timescaledb") {
      const superuser = connect(url, { max: 1 });
      try {
        await superuser`CREATE EXTENSION timescaledb`;
      } finally {
        await superuser.end();
      }
    }
    sql = connectAs(COLLECTOR_ROLE, { max: 4 });
    if (options.migrate !== false) {
      await migrate(sql, { mode });
      // Tests load years-old history (2021): the default 365-day retention policy would drop it in
      // the background as soon as its chunks appear. Tests of retention set their own.
      await sql`SELECT internal.set_raw_retention(INTERVAL '100 years')`;
    }
    return await fn({ name, mode, sql, url, connectAs });
  } finally {
    await sql?.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
