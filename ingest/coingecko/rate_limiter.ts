/**
 * Client-side rate limiter: a sliding one-minute window, so no 60-second span ever holds more calls
 * than the plan allows (a token bucket would allow a burst on top of a full minute). A 429 pauses
 * every caller until the server's Retry-After has passed.
 */
export interface RateLimiterOptions {
  callsPerMinute: number;
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  readonly callsPerMinute: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Start times of the calls in the current window, oldest first. */
  #starts: number[] = [];
  #pausedUntil = 0;
  /** Callers queue up so they are served in order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions) {
    if (!(options.callsPerMinute > 0)) throw new Error("callsPerMinute must be positive");
    this.callsPerMinute = options.callsPerMinute;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
  }

  /** Wait for a slot, then count a call. */
  acquire(): Promise<void> {
    const turn = this.#queue.then(() => this.#waitForSlot());
    this.#queue = turn.catch(() => {});
    return turn;
  }

  /** The server said 429: nobody calls before `ms` from now. */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
  }

  /** How long a call made now would wait (for the budget and for tests). */
  delay(): number {
    const now = this.#now();
    const starts = this.#starts.filter((t) => t > now - this.#windowMs);
    const windowWait = starts.length < this.callsPerMinute
      ? 0
      : starts[starts.length - this.callsPerMinute]! + this.#windowMs - now;
    return Math.max(0, windowWait, this.#pausedUntil - now);
  }

  async #waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.#now();
      while (this.#starts.length > 0 && this.#starts[0]! <= now - this.#windowMs) this.#starts.shift();
      const wait = this.delay();
      if (wait <= 0) {
        this.#starts.push(now);
        return;
      }
      await this.#sleep(wait);
    }
  }
}

/** A limiter that never waits: for simulations that exclude the network (benchmarks). */
export function unlimited(): RateLimiter {
  return new RateLimiter({ callsPerMinute: Number.MAX_SAFE_INTEGER });
}
