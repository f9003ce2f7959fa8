-- Core tables: the same in both storage modes.
-- Public objects (schema public) are the product's SQL API; bookkeeping lives in schema internal,
-- which the read-only role cannot see.

CREATE SCHEMA IF NOT EXISTS internal;

-- One row per CoinGecko coin id. The id is the key: a symbol is only a label that several coins share.
CREATE TABLE coins (
  id text PRIMARY KEY,
  symbol text NOT NULL,
  name text NOT NULL,
  image_url text,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coins_symbol_idx ON coins (symbol);

-- The raw time series. `time` is CoinGecko's last_updated for the coin, so polling an unchanged
-- observation twice stores it once (the unique key makes every write idempotent).
-- Values are double precision: prices span 1e-10..1e6, and float columns compress well (XOR) in
-- TimescaleDB's columnstore, unlike numeric.
CREATE TABLE market_snapshots (
  time timestamptz NOT NULL,
  coin_id text NOT NULL REFERENCES coins (id),
  vs_currency text NOT NULL,
  price double precision NOT NULL,
  market_cap double precision,
  fully_diluted_valuation double precision,
  total_volume double precision, -- CoinGecko's rolling 24h volume at `time`
  circulating_supply double precision,
  total_supply double precision,
  max_supply double precision,
  market_cap_rank integer,
  high_24h double precision,
  low_24h double precision,
  price_change_pct_1h double precision,
  price_change_pct_24h double precision,
  price_change_pct_7d double precision,
  price_change_pct_30d double precision,
  price_change_pct_1y double precision,
  ath double precision,
  ath_change_pct double precision,
  ath_date timestamptz,
  atl double precision,
  atl_change_pct double precision,
  atl_date timestamptz,
  -- 'markets' for live collection (/coins/markets), 'range' for backfill and gap repair
  -- (/coins/{id}/market_chart/range, which has price, market cap and volume only).
  source text NOT NULL DEFAULT 'markets' CHECK (source IN ('markets', 'range')),
  CONSTRAINT market_snapshots_key UNIQUE (coin_id, vs_currency, time),
  CONSTRAINT market_snapshots_price_check CHECK (price >= 0)
);

-- Market-wide figures from /global. `time` is CoinGecko's updated_at, so repeated polls store it once.
-- The per-currency and per-symbol maps are kept whole; views in the analytics surface flatten them.
CREATE TABLE global_snapshots (
  time timestamptz PRIMARY KEY,
  active_cryptocurrencies integer,
  markets integer,
  market_cap_change_pct_24h_usd double precision,
  volume_change_pct_24h_usd double precision,
  total_market_cap jsonb NOT NULL DEFAULT '{}', -- {"usd": 2.1e12, "eur": ...}
  total_volume jsonb NOT NULL DEFAULT '{}', -- {"usd": 9.8e10, ...}
  market_cap_percentage jsonb NOT NULL DEFAULT '{}' -- dominance by symbol: {"btc": 44.1, "eth": 18.2, ...}
);

-- One row per collection cycle, backfill chunk or gap repair.
CREATE TABLE ingest_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('cycle', 'backfill', 'gap_repair', 'retention')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'partial', 'failed')),
  api_calls jsonb NOT NULL DEFAULT '{}', -- HTTP status (or "timeout"/"network") -> count
  rows_written integer NOT NULL DEFAULT 0,
  rows_rejected integer NOT NULL DEFAULT 0,
  rejections jsonb NOT NULL DEFAULT '[]', -- [{"coin_id": ..., "reason": ...}]
  error text,
  details jsonb NOT NULL DEFAULT '{}' -- kind-specific: coins, range, gaps repaired, ...
);
CREATE INDEX ingest_runs_started_idx ON ingest_runs (started_at DESC);
CREATE INDEX ingest_runs_kind_started_idx ON ingest_runs (kind, started_at DESC);
