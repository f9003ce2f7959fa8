/**
 * The collector's command line: `deno task <command>` runs `ingest/main.ts <command>`.
 *   migrate   apply pending migrations from sql/ and exit
 */
import { connect, DEFAULT_DATABASE_URL, redactUrl } from "./db/connect.ts";
import { migrate, type ModeSetting } from "./db/migrate.ts";
import { createLogger } from "./log.ts";

async function main(command: string | undefined): Promise<number> {
  const log = createLogger();
  const url = Deno.env.get("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
  switch (command) {
    case "migrate": {
      const sql = connect(url, { max: 1 });
      try {
        const result = await migrate(sql, {
          mode: (Deno.env.get("STORAGE_MODE") ?? "auto") as ModeSetting,
          log: (message, fields) => log.info(message, fields),
        });
        log.info("migrations done", { database: redactUrl(url), ...result });
        return 0;
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
    default:
      console.error(`unknown command '${command ?? ""}': expected migrate`);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args[0]));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
