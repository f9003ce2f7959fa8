-- Analytics, part 2: returns between two instants, ROI against bitcoin, the ROI calculator and
-- dollar-cost averaging. "Price at t" is price_at() (201_market.sql): the close of the last hourly candle
-- whose observations all lie at or before t.

CREATE FUNCTION roi(p_coin text, p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS double precision
LANGUAGE sql STABLE AS $$
  SELECT e.price / NULLIF(s.price, 0) - 1
  FROM price_at(p_coin, p_vs, p_to) e, price_at(p_coin, p_vs, p_from) s
  WHERE e.time > p_from
$$;
COMMENT ON FUNCTION roi(text, text, timestamptz, timestamptz) IS
  'Return of p_coin in p_vs from p_from to p_to as a fraction: price at p_to / price at p_from - 1 (see price_at). NULL when either price is unknown (no data before p_from, e.g. a coin listed later), when the coin has no observation in (p_from, p_to] (stopped trading, or a range shorter than the hourly resolution) or when the start price is 0.';

CREATE FUNCTION roi_table(p_vs text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  coin_id text, symbol text, name text, start_time timestamptz, start_price double precision,
  end_time timestamptz, end_price double precision, roi double precision, roi_vs_btc double precision
)
LANGUAGE sql STABLE AS $$
  WITH returns AS (
    SELECT
      c.id AS coin_id, c.symbol, c.name, s.time AS start_time, s.price AS start_price,
      e.time AS end_time, e.price AS end_price, e.price / NULLIF(s.price, 0) - 1 AS roi
    FROM coins c
    JOIN LATERAL price_at(c.id, p_vs, p_to) e ON e.time > p_from
    LEFT JOIN LATERAL price_at(c.id, p_vs, p_from) s ON true
    WHERE analytics_check(p_from < p_to, format('from (%s) must be before to (%s)', p_from, p_to))
  )
  SELECT r.*, (1 + r.roi) / NULLIF(1 + btc.roi, 0) - 1
  FROM returns r
  LEFT JOIN returns btc ON btc.coin_id = 'bitcoin'
$$;
COMMENT ON FUNCTION roi_table(text, timestamptz, timestamptz) IS
  'Per coin observed in (p_from, p_to]: the start and end prices used (price_at p_from and p_to, with the times of those closes), roi = end_price / start_price - 1 (NULL when the coin has no data before p_from) and roi_vs_btc = (1 + roi) / (1 + roi of bitcoin) - 1.';

CREATE FUNCTION investment_value(p_vs text, p_amount double precision, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
  coin_id text, symbol text, name text, invested double precision, value double precision,
  profit double precision, roi double precision, rank int
)
LANGUAGE sql STABLE AS $$
  SELECT
    r.coin_id, r.symbol, r.name, p_amount, p_amount * (1 + r.roi), p_amount * r.roi, r.roi,
    (rank() OVER (ORDER BY r.roi DESC))::int
  FROM roi_table(p_vs, p_from, p_to) r
  WHERE r.roi IS NOT NULL
    AND analytics_check(p_amount > 0, format('amount must be positive, got %s', p_amount))
$$;
COMMENT ON FUNCTION investment_value(text, double precision, timestamptz, timestamptz) IS
  'ROI calculator: p_amount invested in each coin at p_from (coins with a known roi, see roi_table): value at p_to = p_amount * (1 + roi), profit = value - invested, rank 1 = best.';

CREATE FUNCTION dca_result(
  p_coin text, p_vs text, p_amount_per_buy double precision, p_every interval, p_from timestamptz,
  p_to timestamptz
)
RETURNS TABLE (
  buys int, invested double precision, units double precision, value double precision,
  roi double precision, average_price double precision
)
LANGUAGE sql STABLE AS $$
  WITH purchases AS (
    SELECT p_amount_per_buy / e.price AS units
    FROM generate_series(p_from, p_to, p_every) AS t(at)
    -- A buy needs a recent price: an observation within the period (at least a day) before it.
    JOIN LATERAL price_at(p_coin, p_vs, t.at) e
      ON e.time > t.at - greatest(p_every, INTERVAL '24 hours') AND e.price > 0
    WHERE analytics_check(p_amount_per_buy > 0, format('amount per buy must be positive, got %s', p_amount_per_buy))
      AND analytics_check(p_every > INTERVAL '0', format('buy interval must be positive, got %s', p_every))
      AND analytics_check(p_from <= p_to, format('from (%s) must not be after to (%s)', p_from, p_to))
      AND analytics_check(
        extract(epoch FROM p_to - p_from) / extract(epoch FROM p_every) <= 100000,
        format('buy interval %s is too short for the range: more than 100000 buys', p_every))
  ),
  totals AS (
    SELECT count(*)::int AS buys, count(*) * p_amount_per_buy AS invested, coalesce(sum(units), 0) AS units
    FROM purchases
  )
  SELECT
    t.buys, t.invested, t.units, t.units * e.price,
    t.units * e.price / NULLIF(t.invested, 0) - 1,
    t.invested / NULLIF(t.units, 0)
  FROM totals t
  LEFT JOIN price_at(p_coin, p_vs, p_to) e ON true
$$;
COMMENT ON FUNCTION dca_result(text, text, double precision, interval, timestamptz, timestamptz) IS
  'Dollar-cost averaging: buy p_amount_per_buy of p_coin at p_from, p_from + p_every, ... up to p_to, at the price at each instant (price_at; skipped when the coin has no observation within max(p_every, 24 h) before it). buys, invested = buys * amount, units = sum(amount / price), value = units * price at p_to, roi = value / invested - 1, average_price = invested / units. One row.';
