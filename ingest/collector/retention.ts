/** Raw-snapshot retention: configured at startup, applied daily (a no-op in TimescaleDB mode, where a policy drops chunks). */
import type { Sql } from "../db/connect.ts";
import { Run } from "./runs.ts";

export async function configureRetention(sql: Sql, days: number): Promise<void> {
  await sql`SELECT internal.set_raw_retention(${`${days} days`}::interval)`;
}

/** Whether a day has passed since the last retention run (recorded in ingest_runs, so restarts don't repeat it). */
export async function retentionDue(sql: Sql, now = new Date()): Promise<boolean> {
  const [row] = await sql<{ last: Date | null }[]>`
    SELECT max(started_at) AS last FROM ingest_runs WHERE kind = 'retention' AND status = 'ok'`;
  return !row?.last || now.getTime() - row.last.getTime() >= 86_400_000;
}

export async function applyRetention(sql: Sql): Promise<number> {
  const run = await Run.start(sql, "retention");
  try {
    const [row] = await sql<{ deleted: number }[]>`SELECT internal.apply_retention()::int AS deleted`;
    run.details = { deleted_rows: row!.deleted };
    await run.finish(sql, "ok");
    return row!.deleted;
  } catch (error) {
    await run.finish(sql, "failed", error instanceof Error ? error.message : String(error)).catch(() => {});
    throw error;
  }
}
