/** Database connections (postgres.js). */
import postgres from "postgres";

export type Sql = postgres.Sql;

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Open a pool. Notices are dropped (TimescaleDB emits informational ones). postgres.js returns int8
 * and numeric as strings: queries cast counts to int where a number is wanted.
 */
export function connect(
  url: string,
  options: { max?: number; applicationName?: string; role?: string } = {},
): Sql {
  return postgres(url, {
    max: options.max ?? 5,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? "crypto-observatory",
      // Startup parameter `role` = SET ROLE for the whole session (tests act as other roles this way).
      ...(options.role ? { role: options.role } : {}),
    } as Record<string, string>,
  });
}

/** The database URL with any password replaced, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable DATABASE_URL>";
  }
}
