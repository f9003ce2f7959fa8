/**
 * Only one instance writes: the writer holds a session-level advisory lock on a dedicated connection.
 * If its process dies, PostgreSQL ends the session and frees the lock, and a standby's next attempt
 * takes over. A writer that lost its connection (database restart, network) loses the lock too, and
 * notices before its next cycle.
 */
import type { Sql } from "../db/connect.ts";
import { type Reserved, reserveWithin, within } from "../collector/pg.ts";

/** "obs-lead" in ASCII; distinct from the migration lock. */
export const LEADER_LOCK_KEY = 0x6f62732d6c656164n;

export class LeaderLock {
  #conn: Reserved | null = null;

  constructor(readonly sql: Sql, readonly key: bigint = LEADER_LOCK_KEY) {}

  get held(): boolean {
    return this.#conn !== null;
  }

  /** Take the lock if free; true while this instance holds it. Throws only if the database is unreachable. */
  async acquire(): Promise<boolean> {
    if (this.#conn) return await this.verify();
    // postgres.js's reserve() waits forever while the server refuses connections: probe first (a plain
    // query fails fast), and give up on a reservation that takes too long (releasing it if it comes late).
    await within(this.sql`SELECT 1`, 10_000);
    const conn = await reserveWithin(this.sql, 10_000);
    try {
      const [row] = await conn<
        { ok: boolean }[]
      >`SELECT pg_try_advisory_lock(${this.key.toString()}::bigint) AS ok`;
      if (row?.ok) {
        this.#conn = conn;
        return true;
      }
    } catch (error) {
      conn.release();
      throw error;
    }
    conn.release();
    return false;
  }

  /** Whether the lock is still ours (the session is alive and holds it). */
  async verify(): Promise<boolean> {
    const conn = this.#conn;
    if (!conn) return false;
    try {
      // A query on a connection the server ended does not always fail in postgres.js: bound the wait.
      const [row] = await within(
        conn<{ held: boolean }[]>`
        SELECT EXISTS (
          SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
            AND ((classid::bigint << 32) | objid::bigint) = ${this.key.toString()}::bigint
        ) AS held`,
        5_000,
      );
      if (row?.held) return true;
    } catch {
      // the session is gone, and the lock with it
    }
    this.#drop();
    return false;
  }

  #drop(): void {
    const conn = this.#conn;
    this.#conn = null;
    try {
      conn?.release();
    } catch {
      // already closed
    }
  }

  async release(): Promise<void> {
    const conn = this.#conn;
    if (!conn) return;
    try {
      await conn`SELECT pg_advisory_unlock(${this.key.toString()}::bigint)`;
    } catch {
      // a dead session has released it already
    }
    this.#drop();
  }
}
