-- Collector bookkeeping, in schema internal (the read-only role cannot see it).

-- A backfill request (first start, or `deno task backfill`) and its chunks. A rerun of the same request
-- finds the open job by its key and continues with the chunks not done yet: nothing is refetched.
CREATE TABLE internal.backfill_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL, -- the request: "days=30;coins=top:20;vs=usd"
  origin text NOT NULL CHECK (origin IN ('first_start', 'cli')),
  range_from timestamptz NOT NULL,
  range_to timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE UNIQUE INDEX backfill_jobs_open_key ON internal.backfill_jobs (key) WHERE finished_at IS NULL;

-- One /coins/{id}/market_chart/range request: a coin, a currency and at most 90 days (hourly points).
CREATE TABLE internal.backfill_chunks (
  job_id bigint NOT NULL REFERENCES internal.backfill_jobs (id) ON DELETE CASCADE,
  coin_id text NOT NULL,
  vs_currency text NOT NULL,
  range_from timestamptz NOT NULL,
  range_to timestamptz NOT NULL,
  done_at timestamptz,
  rows_written integer,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  PRIMARY KEY (job_id, coin_id, vs_currency, range_from)
);
CREATE INDEX backfill_chunks_pending_idx ON internal.backfill_chunks (job_id) WHERE done_at IS NULL;

-- Gaps the repair asked CoinGecko about (whatever it returned), so a gap the API cannot fill is not
-- asked for again and again.
CREATE TABLE internal.gap_repairs (
  coin_id text NOT NULL,
  vs_currency text NOT NULL,
  gap_from timestamptz NOT NULL,
  gap_to timestamptz NOT NULL,
  repaired_at timestamptz NOT NULL DEFAULT now(),
  rows_written integer NOT NULL,
  PRIMARY KEY (coin_id, vs_currency, gap_from)
);
