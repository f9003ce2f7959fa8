import assert from "node:assert/strict";
import { RateLimiter } from "./rate_limiter.ts";

/** A limiter on a fake clock: sleeping advances time, so the test is exact and instant. */
function onFakeClock(callsPerMinute: number) {
  let now = 1_000_000;
  const slept: number[] = [];
  const limiter = new RateLimiter({
    callsPerMinute,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  return { limiter, slept, now: () => now, advance: (ms: number) => (now += ms) };
}

Deno.test("rate limiter: no 60-second window ever holds more calls than the limit", async () => {
  const clock = onFakeClock(5);
  const starts: number[] = [];
  for (let i = 0; i < 23; i++) {
    await clock.limiter.acquire();
    starts.push(clock.now());
    clock.advance(1_000); // each call takes a second
  }
  for (let i = 0; i < starts.length; i++) {
    const inWindow = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 60_000).length;
    assert(inWindow <= 5, `window from call ${i} holds ${inWindow} calls`);
  }
  // 5 calls a minute: 23 calls need more than 4 minutes.
  assert(starts.at(-1)! - starts[0]! >= 4 * 60_000, `took ${starts.at(-1)! - starts[0]!} ms`);
});

Deno.test("rate limiter: concurrent callers are served in order within the limit", async () => {
  const clock = onFakeClock(2);
  const order: number[] = [];
  await Promise.all([0, 1, 2, 3].map((i) => clock.limiter.acquire().then(() => order.push(i))));
  assert.deepEqual(order, [0, 1, 2, 3]);
  assert.equal(clock.slept.reduce((a, b) => a + b, 0), 60_000); // calls 3 and 4 waited for the window
});

Deno.test("rate limiter: a 429 pauses everyone for Retry-After", async () => {
  const clock = onFakeClock(100);
  await clock.limiter.acquire();
  clock.limiter.pause(7_000);
  assert.equal(clock.limiter.delay(), 7_000);
  const before = clock.now();
  await clock.limiter.acquire();
  assert.equal(clock.now() - before, 7_000);
});
