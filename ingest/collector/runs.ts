/**
 * ingest_runs bookkeeping: one row per cycle, backfill, gap repair or retention run, which Grafana's
 * "Pipeline health" dashboard reads (api_calls, rows, rejections with reasons, details).
 */
import type { Sql } from "../db/connect.ts";
import { CallLog } from "../coingecko/client.ts";
import type { Rejection } from "../coingecko/schemas.ts";

export type RunKind = "cycle" | "backfill" | "gap_repair" | "retention";
export type RunStatus = "ok" | "partial" | "failed";

/** Rejections kept per run (rows_rejected counts them all). */
const MAX_REJECTIONS = 500;

export class Run {
  readonly calls = new CallLog();
  readonly rejections: Rejection[] = [];
  rowsWritten = 0;
  rowsRejected = 0;
  details: Record<string, unknown> = {};
  readonly startedAt = Date.now();

  private constructor(readonly id: number, readonly kind: RunKind) {}

  static async start(sql: Sql, kind: RunKind): Promise<Run> {
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO ingest_runs (kind) VALUES (${kind}) RETURNING id::int AS id`;
    return new Run(row!.id, kind);
  }

  reject(rejections: readonly Rejection[], count = rejections.length): void {
    this.rowsRejected += count;
    for (const r of rejections) if (this.rejections.length < MAX_REJECTIONS) this.rejections.push(r);
  }

  async finish(sql: Sql, status: RunStatus, error?: string): Promise<void> {
    await sql`
      UPDATE ingest_runs SET
        finished_at = now(), status = ${status}, api_calls = ${sql.json(this.calls.counts)},
        rows_written = ${this.rowsWritten}, rows_rejected = ${this.rowsRejected},
        rejections = ${sql.json(this.rejections as unknown as Parameters<typeof sql.json>[0])},
        error = ${error ?? null}, details = ${sql.json(this.details as Parameters<typeof sql.json>[0])}
      WHERE id = ${this.id}`;
  }
}

/** Runs left 'running' by a process that died: mark them failed so dashboards do not show them as live. */
export async function closeInterruptedRuns(sql: Sql): Promise<number> {
  const result = await sql`
    UPDATE ingest_runs SET status = 'failed', finished_at = now(),
      error = 'interrupted: the process stopped before the run finished'
    WHERE status = 'running'
      -- a backfill may be a CLI run in another process, alive: only close it when clearly abandoned
      AND (kind <> 'backfill' OR started_at < now() - INTERVAL '6 hours')`;
  return result.count;
}

/** HTTP calls (any status; not timeouts or network errors) made since `since`, from all runs. */
export async function callsSince(sql: Sql, since: Date): Promise<number> {
  const [row] = await sql<{ calls: number }[]>`
    SELECT coalesce(sum(value::int), 0)::int AS calls
    FROM ingest_runs, jsonb_each_text(api_calls)
    WHERE started_at >= ${since.toISOString()}::timestamptz AND key ~ '^[0-9]+$'`;
  return row?.calls ?? 0;
}
