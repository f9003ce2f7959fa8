/** postgres.js helpers: bounded waits where the driver can wait forever. */
import { connect as netConnect, type Socket } from "node:net";
import type { Sql } from "../db/connect.ts";

export type Reserved = Awaited<ReturnType<Sql["reserve"]>>;

/** A reserved connection, or an error after `ms` (reserve() waits forever while the server refuses connections). */
export async function reserveWithin(sql: Sql, ms: number): Promise<Reserved> {
  const reservation = sql.reserve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reservation.then((late) => late.release(), () => {});
      reject(new Error(`no database connection within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([reservation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise, or an error after `ms`. */
export async function within<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the database within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A TCP socket with Nagle's algorithm off, for postgres.js's `socket` option. postgres.js leaves it on,
 * and a small message sent right after a large one (COMMIT after COPY, the next statement of a
 * cycle) then waits for the server's delayed ACK: ~40 ms a round trip on Linux loopback.
 * Single host:port only (what connect() is given here).
 */
export function noDelaySocket(options: { host: string[]; port: number[] }): Socket {
  const socket = netConnect(options.port[0] ?? 5432, options.host[0] ?? "127.0.0.1");
  socket.setNoDelay(true);
  return socket;
}
