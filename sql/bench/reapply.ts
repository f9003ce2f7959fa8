/** Re-apply the current analytics migrations on a kept benchmark database: `deno run -A sql/bench/reapply.ts NAME MODE`. */
import type { StorageMode } from "../../ingest/db/migrate.ts";
import { reapplyAnalytics } from "./database.ts";

const [name, mode] = Deno.args;
if (!name || (mode !== "postgres" && mode !== "timescaledb")) {
  console.error("usage: deno run -A sql/bench/reapply.ts <database> <postgres|timescaledb>");
  Deno.exit(2);
}
await reapplyAnalytics(name, mode as StorageMode);
