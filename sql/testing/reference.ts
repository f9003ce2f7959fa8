/**
 * Reference implementation of the analytics SQL surface (sql/analytics/*.sql), for tests only: plain
 * computations in TypeScript from the raw snapshot rows, following the definitions of the README's SQL guide
 * and sharing no code or query with the SQL. Candles are rebuilt here from the raw rows too.
 */

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface Snapshot {
  time: number;
  coinId: string;
  vs: string;
  price: number;
  marketCap: number | null;
  totalVolume: number | null;
  /** CoinGecko's fields of a live snapshot (absent for backfilled rows). */
  marketCapRank?: number | null;
  circulatingSupply?: number | null;
  totalSupply?: number | null;
  maxSupply?: number | null;
  high24h?: number | null;
  low24h?: number | null;
  ath?: number | null;
  athDate?: number | null;
  cgChange1h?: number | null;
  cgChange24h?: number | null;
  cgChange7d?: number | null;
  cgChange30d?: number | null;
  cgChange1y?: number | null;
}

export interface Coin {
  id: string;
  symbol: string;
  name: string;
  imageUrl: string | null;
}

export interface GlobalSnapshot {
  time: number;
  activeCryptocurrencies: number | null;
  markets: number | null;
  marketCapChangePct24hUsd: number | null;
  totalMarketCap: Record<string, unknown>;
  totalVolume: Record<string, unknown>;
  marketCapPercentage: Record<string, unknown>;
}

export interface Candle {
  bucket: number;
  open: number;
  close: number;
  closeTime: number;
  high: number;
  low: number;
  marketCap: number | null;
  volume: number | null;
}

const key = (coinId: string, vs: string) => `${coinId}\u0000${vs}`;

// ---------------------------------------------------------------------------------------------------
// Statistics

export function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Sample standard deviation (n - 1), two-pass; null below two values. */
export function stddevSamp(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

export function pearson(xs: number[], ys: number[]): number | null {
  if (xs.length < 2) return null;
  const mx = mean(xs)!, my = mean(ys)!;
  let sxx = 0, syy = 0, sxy = 0;
  xs.forEach((x, i) => {
    const y = ys[i]!;
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
    sxy += (x - mx) * (y - my);
  });
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

const change = (price: number | null | undefined, reference: number | null | undefined) =>
  price == null || reference == null || reference === 0 ? null : 100 * (price / reference - 1);

// ---------------------------------------------------------------------------------------------------
// The data set: raw rows grouped per series, candles rebuilt from them.

export class Market {
  readonly raw = new Map<string, Snapshot[]>();
  readonly hourly = new Map<string, Candle[]>();
  readonly daily = new Map<string, Candle[]>();
  readonly coins: Map<string, Coin>;

  constructor(rows: Snapshot[], coins: Coin[], readonly stablecoinList: string[] = []) {
    this.coins = new Map(coins.map((c) => [c.id, c]));
    for (const row of rows) {
      const k = key(row.coinId, row.vs);
      const list = this.raw.get(k) ?? [];
      list.push(row);
      this.raw.set(k, list);
    }
    for (const [k, list] of this.raw) {
      list.sort((a, b) => a.time - b.time);
      this.hourly.set(k, buildCandles(list, HOUR));
      this.daily.set(k, buildCandles(list, DAY));
    }
  }

  series(): { coinId: string; vs: string }[] {
    return [...this.raw.keys()].map((k) => {
      const [coinId = "", vs = ""] = k.split("\u0000");
      return { coinId, vs };
    });
  }

  newestDay(): number {
    return Math.max(...[...this.daily.values()].map((c) => c.at(-1)!.bucket));
  }

  newestHour(): number {
    return Math.max(...[...this.hourly.values()].map((c) => c.at(-1)!.bucket));
  }

  /** Price at t: close of the last hourly candle whose observations all lie at or before t. */
  priceAt(
    coinId: string,
    vs: string,
    t: number,
  ): { time: number; price: number; marketCap: number | null } | null {
    const candles = this.hourly.get(key(coinId, vs)) ?? [];
    let found: Candle | null = null;
    for (const c of candles) if (c.closeTime <= t) found = c;
    return found ? { time: found.closeTime, price: found.close, marketCap: found.marketCap } : null;
  }

  /** Reference price of a change over `horizon` ending at `at` (raw rows up to 48 h, else hourly closes). */
  priceBefore(coinId: string, vs: string, at: number, horizon: number): number | null {
    const target = at - horizon, oldest = at - horizon * 1.25;
    if (horizon <= 48 * HOUR) {
      let found: Snapshot | null = null;
      for (const r of this.raw.get(key(coinId, vs)) ?? []) if (r.time <= target && r.time > oldest) found = r;
      if (found) return found.price;
    }
    let found: Candle | null = null;
    for (const c of this.hourly.get(key(coinId, vs)) ?? []) {
      if (c.closeTime <= target && c.closeTime > oldest) found = c;
    }
    return found ? found.close : null;
  }

  /**
   * Start of a returns range that may begin before the history: `from` when some hourly candle of `vs` lies
   * wholly at or before it, else the earliest hourly close after it; `from` without data in `vs`.
   */
  returnsStart(vs: string, from: number): number {
    const candles = this.series().filter((s) => s.vs === vs).flatMap((s) =>
      this.hourly.get(key(s.coinId, vs))!
    );
    if (candles.some((c) => c.bucket + HOUR <= from)) return from;
    const first = candles.reduce<Candle | null>((a, c) => (!a || c.bucket < a.bucket ? c : a), null);
    return first ? Math.max(from, first.closeTime) : from;
  }

  isStablecoin(coinId: string): boolean {
    return this.stablecoinList.includes(coinId) ||
      this.stablecoinCandidates().some((c) => c.coin_id === coinId);
  }

  // -------------------------------------------------------------------------------------------------
  // Market, as of the newest data

  latestMarket() {
    const newest = this.newestDay();
    const rows = [];
    for (const { coinId, vs } of this.series()) {
      const coin = this.coins.get(coinId);
      const daily = this.daily.get(key(coinId, vs))!;
      if (!coin || daily.at(-1)!.bucket < newest - 7 * DAY) continue;
      const s = this.raw.get(key(coinId, vs))!.at(-1)!;
      const hourly = this.hourly.get(key(coinId, vs))!;
      const lastDay = hourly.filter((h) => h.bucket > s.time - DAY && h.bucket <= s.time);
      let own: Candle | null = null;
      for (const d of daily) if (!own || d.high > own.high) own = d;
      const ath = s.ath ?? own!.high;
      rows.push({
        coin_id: coinId,
        symbol: coin.symbol,
        name: coin.name,
        image_url: coin.imageUrl,
        time: s.time,
        price: s.price,
        market_cap: s.marketCap,
        market_cap_rank: s.marketCapRank ?? null,
        total_volume: s.totalVolume,
        liquidity_ratio: s.totalVolume == null || !s.marketCap ? null : s.totalVolume / s.marketCap,
        circulating_supply: s.circulatingSupply ?? null,
        total_supply: s.totalSupply ?? null,
        max_supply: s.maxSupply ?? null,
        high_24h: s.high24h ?? Math.max(...lastDay.map((h) => h.high)),
        low_24h: s.low24h ?? Math.min(...lastDay.map((h) => h.low)),
        ath,
        ath_date: s.ath != null ? s.athDate ?? null : own!.bucket,
        pct_below_ath: ath > 0 ? Math.max(0, 100 * (1 - s.price / ath)) : null,
        sparkline_7d: hourly.filter((h) => h.bucket > s.time - 7 * DAY && h.bucket <= s.time).map((h) =>
          h.close
        ),
        vs_currency: vs,
      });
    }
    return rows;
  }

  priceChanges() {
    const horizons = {
      "1h": HOUR,
      "24h": DAY,
      "7d": 7 * DAY,
      "30d": 30 * DAY,
      "90d": 90 * DAY,
      "1y": 365 * DAY,
    };
    return this.latestMarket().map((m) => {
      const s = this.raw.get(key(m.coin_id, m.vs_currency))!.at(-1)!;
      const own = Object.fromEntries(
        Object.entries(horizons).map(([label, h]) => [
          `change_${label}_pct`,
          change(m.price, this.priceBefore(m.coin_id, m.vs_currency, m.time, h)),
        ]),
      );
      return {
        coin_id: m.coin_id,
        vs_currency: m.vs_currency,
        price: m.price,
        ...own,
        cg_change_1h_pct: s.cgChange1h ?? null,
        cg_change_24h_pct: s.cgChange24h ?? null,
        cg_change_7d_pct: s.cgChange7d ?? null,
        cg_change_30d_pct: s.cgChange30d ?? null,
        cg_change_1y_pct: s.cgChange1y ?? null,
        time: m.time,
      };
    });
  }

  priceTiers() {
    const bounds: [number, string][] = [[0.01, "< $0.01"], [1, "$0.01–1"], [100, "$1–100"], [
      10000,
      "$100–10k",
    ]];
    return this.latestMarket().map((m) => {
      const index = bounds.findIndex(([limit]) => m.price < limit);
      const label = index < 0 ? "≥ $10k" : bounds[index]![1];
      return {
        coin_id: m.coin_id,
        vs_currency: m.vs_currency,
        price: m.price,
        tier: m.vs_currency === "usd" ? label : label.replace("$", `${m.vs_currency.toUpperCase()} `),
        tier_order: index < 0 ? 5 : index + 1,
      };
    });
  }

  marketCapRanking() {
    const rows = this.latestMarket().filter((m) => m.market_cap != null && m.market_cap > 0);
    return rows.map((m) => {
      const peers = rows.filter((o) => o.vs_currency === m.vs_currency);
      return {
        rank: 1 + peers.filter((o) => o.market_cap! > m.market_cap!).length,
        coin_id: m.coin_id,
        symbol: m.symbol,
        name: m.name,
        vs_currency: m.vs_currency,
        time: m.time,
        market_cap: m.market_cap,
        share_pct: 100 * m.market_cap! / peers.reduce((sum, o) => sum + o.market_cap!, 0),
        cg_rank: m.market_cap_rank,
      };
    });
  }

  stablecoinCandidates() {
    const newest = this.newestDay();
    const rows = [];
    for (const { coinId, vs } of this.series()) {
      if (vs !== "usd") continue;
      const closes = this.daily.get(key(coinId, vs))!.filter((d) => d.bucket > newest - 30 * DAY).map((d) =>
        d.close
      );
      if (closes.length < 14 || Math.min(...closes) < 0.97 || Math.max(...closes) > 1.03) continue;
      rows.push({
        coin_id: coinId,
        days: closes.length,
        mean_price: mean(closes),
        min_price: Math.min(...closes),
        max_price: Math.max(...closes),
      });
    }
    return rows;
  }

  windowChanges(vs: string, window: number) {
    const live = this.latestMarket().filter((m) => m.vs_currency === vs && !this.isStablecoin(m.coin_id));
    const newest = Math.max(...live.map((m) => m.time));
    return live.filter((m) => m.time > newest - DAY).map((m) => ({
      coin_id: m.coin_id,
      symbol: m.symbol,
      name: m.name,
      time: m.time,
      price: m.price,
      change_pct: change(m.price, this.priceBefore(m.coin_id, vs, m.time, window)),
    }));
  }

  topMovers(vs: string, window: number, limit: number) {
    const known = this.windowChanges(vs, window).filter((c) => c.change_pct !== null) as {
      coin_id: string;
      symbol: string;
      name: string;
      price: number;
      change_pct: number;
    }[];
    const pick = (direction: "gainer" | "loser") =>
      known.filter((c) => direction === "gainer" ? c.change_pct > 0 : c.change_pct < 0)
        .sort((a, b) =>
          (direction === "gainer" ? b.change_pct - a.change_pct : a.change_pct - b.change_pct) ||
          (a.coin_id < b.coin_id ? -1 : 1)
        )
        .slice(0, limit)
        .map((c, i) => ({
          coin_id: c.coin_id,
          symbol: c.symbol,
          name: c.name,
          price: c.price,
          change_pct: c.change_pct,
          direction,
          rank: i + 1,
        }));
    return [...pick("gainer"), ...pick("loser")];
  }

  marketSentiment(vs: string, window: number) {
    const changes = this.windowChanges(vs, window).map((c) => c.change_pct).filter((c) => c !== null);
    const up = changes.filter((c) => c > 0).length;
    return [{
      coins: changes.length,
      up,
      down: changes.filter((c) => c < 0).length,
      share_up_pct: changes.length ? 100 * up / changes.length : null,
      mean_change_pct: mean(changes),
      dispersion_pct: stddevSamp(changes),
    }];
  }

  altcoinSeasonIndex(vs: string, at: number) {
    const roi = (coinId: string) => {
      const end = this.priceAt(coinId, vs, at);
      if (!end || end.time <= at - DAY) return undefined;
      const start = this.priceBefore(coinId, vs, at, 90 * DAY);
      if (start === null) return undefined;
      return { roi: start === 0 ? null : end.price / start - 1, marketCap: end.marketCap };
    };
    const btc = roi("bitcoin");
    const top = [...this.coins.keys()]
      .filter((id) => id !== "bitcoin" && !this.isStablecoin(id))
      .map((id) => ({ id, ...roi(id) }))
      .filter((c): c is { id: string; roi: number; marketCap: number } =>
        c.roi != null && c.marketCap != null
      )
      .sort((a, b) => b.marketCap - a.marketCap || (a.id < b.id ? -1 : 1))
      .slice(0, 100);
    if (!btc) return [{ index_pct: null, coins_considered: 0, coins_beating_btc: 0 }];
    const beating = top.filter((c) => btc.roi !== null && c.roi > btc.roi).length;
    return [{
      index_pct: top.length ? 100 * beating / top.length : null,
      coins_considered: top.length,
      coins_beating_btc: beating,
    }];
  }

  // -------------------------------------------------------------------------------------------------
  // Returns

  roi(coinId: string, vs: string, from: number, to: number): number | null {
    const end = this.priceAt(coinId, vs, to), start = this.priceAt(coinId, vs, from);
    if (!end || !start || end.time <= from || start.price === 0) return null;
    return end.price / start.price - 1;
  }

  roiTable(vs: string, from: number, to: number) {
    const rows = [];
    for (const coin of this.coins.values()) {
      const end = this.priceAt(coin.id, vs, to);
      if (!end || end.time <= from) continue;
      const start = this.priceAt(coin.id, vs, from);
      rows.push({
        coin_id: coin.id,
        symbol: coin.symbol,
        name: coin.name,
        start_time: start?.time ?? null,
        start_price: start?.price ?? null,
        end_time: end.time,
        end_price: end.price,
        roi: start && start.price !== 0 ? end.price / start.price - 1 : null,
      });
    }
    const btc = rows.find((r) => r.coin_id === "bitcoin")?.roi ?? null;
    return rows.map((r) => ({
      ...r,
      roi_vs_btc: r.roi === null || btc === null || 1 + btc === 0 ? null : (1 + r.roi) / (1 + btc) - 1,
    }));
  }

  investmentValue(vs: string, amount: number, from: number, to: number) {
    const rows = this.roiTable(vs, from, to).filter((r) => r.roi !== null) as {
      roi: number;
      coin_id: string;
    }[];
    return this.roiTable(vs, from, to).filter((r) => r.roi !== null).map((r) => ({
      coin_id: r.coin_id,
      symbol: r.symbol,
      name: r.name,
      invested: amount,
      value: amount * (1 + r.roi!),
      profit: amount * r.roi!,
      roi: r.roi,
      rank: 1 + rows.filter((o) => o.roi > r.roi!).length,
    }));
  }

  dcaResult(coinId: string, vs: string, amount: number, every: number, from: number, to: number) {
    let buys = 0, units = 0;
    for (let t = from; t <= to; t += every) {
      const p = this.priceAt(coinId, vs, t);
      if (!p || p.time <= t - Math.max(every, DAY) || !(p.price > 0)) continue;
      buys++;
      units += amount / p.price;
    }
    const end = this.priceAt(coinId, vs, to);
    const invested = buys * amount;
    const value = end ? units * end.price : null;
    return [{
      buys,
      invested,
      units,
      value,
      roi: value === null || invested === 0 ? null : value / invested - 1,
      average_price: units === 0 ? null : invested / units,
    }];
  }

  // -------------------------------------------------------------------------------------------------
  // Risk

  /** Daily candles of the UTC days overlapping [from, to], with their log returns. */
  dailyReturns(coinId: string, vs: string, from: number, to: number) {
    const days = (this.daily.get(key(coinId, vs)) ?? []).filter((d) =>
      d.bucket > from - DAY && d.bucket <= to
    );
    return days.map((d, i) => {
      const prev = days[i - 1];
      const r = prev && prev.bucket === d.bucket - DAY && d.close > 0 && prev.close > 0
        ? Math.log(d.close / prev.close)
        : null;
      return { bucket: d.bucket, close: d.close, r };
    });
  }

  /** coin_candles: the hourly candles overlapping [from, to] for ranges up to 7 days, else the daily ones. */
  coinCandles(coinId: string, vs: string, from: number, to: number) {
    const [candles, size] = to - from <= 7 * DAY
      ? [this.hourly.get(key(coinId, vs)), HOUR]
      : [this.daily.get(key(coinId, vs)), DAY];
    return (candles ?? []).filter((c) => c.bucket > from - size && c.bucket <= to).map((c) => ({
      bucket: c.bucket,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
      market_cap: c.marketCap,
    }));
  }

  /** daily_return_windows (with the drawdown): statistics of the daily closes and log returns of [from, to]. */
  dailyReturnWindows(vs: string, froms: number[], to: number, coins: string[] | null) {
    return froms.flatMap((from) =>
      this.coinsWithDays(vs, from, to).filter((coinId) => !coins || coins.includes(coinId)).map((coinId) => {
        const days = this.dailyReturns(coinId, vs, from, to);
        const rs = days.map((d) => d.r).filter((r) => r !== null);
        const closes = days.map((d) => d.close);
        return {
          window_from: Math.floor(from / DAY) * DAY,
          coin_id: coinId,
          vs_currency: vs,
          days: days.length,
          log_returns: rs.length,
          mean_log_return: mean(rs),
          stddev_log_return: stddevSamp(rs),
          downside_deviation: rs.length
            ? Math.sqrt(rs.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / rs.length)
            : null,
          max_drawdown: maxDrawdown(closes),
          min_close: Math.min(...closes),
          max_close: Math.max(...closes),
          mean_close: closes.reduce((a, c) => a + c, 0) / closes.length,
        };
      })
    );
  }

  private coinsWithDays(vs: string, from: number, to: number): string[] {
    return this.series().filter((s) => s.vs === vs && this.dailyReturns(s.coinId, vs, from, to).length > 0)
      .map((s) => s.coinId);
  }

  volatility() {
    const day = this.newestDay(), hour = this.newestHour();
    const rows = [];
    for (const { coinId, vs } of this.series()) {
      const days = this.daily.get(key(coinId, vs))!.filter((d) => d.bucket >= day - 90 * DAY);
      if (!days.length) continue;
      const daily = days.map((d, i) => {
        const prev = days[i - 1];
        return {
          bucket: d.bucket,
          r: prev && prev.bucket === d.bucket - DAY && d.close > 0 && prev.close > 0
            ? Math.log(d.close / prev.close)
            : null,
        };
      });
      const hours = this.hourly.get(key(coinId, vs))!.filter((h) => h.bucket >= hour - 7 * DAY);
      const hourly = hours.map((h, i) => {
        const prev = hours[i - 1];
        return {
          bucket: h.bucket,
          r: prev && prev.bucket === h.bucket - HOUR && h.close > 0 && prev.close > 0
            ? Math.log(h.close / prev.close)
            : null,
        };
      });
      const vol = (list: { bucket: number; r: number | null }[], since: number, factor: number) => {
        const sd = stddevSamp(list.filter((x) => x.bucket > since && x.r !== null).map((x) => x.r!));
        return sd === null ? null : sd * Math.sqrt(factor);
      };
      rows.push({
        coin_id: coinId,
        vs_currency: vs,
        vol_7d: vol(daily, day - 7 * DAY, 365),
        vol_30d: vol(daily, day - 30 * DAY, 365),
        vol_90d: vol(daily, -Infinity, 365),
        vol_intraday_24h: hours.length ? vol(hourly, hour - DAY, 24 * 365) : null,
        vol_intraday_7d: hours.length ? vol(hourly, -Infinity, 24 * 365) : null,
        vol_rank_30d: null as number | null,
      });
    }
    for (const row of rows) {
      if (row.vol_30d === null) continue;
      row.vol_rank_30d = 1 +
        rows.filter((o) =>
          o.vs_currency === row.vs_currency && o.vol_30d !== null && o.vol_30d > row.vol_30d!
        )
          .length;
    }
    return rows;
  }

  volatilityBetween(vs: string, from: number, to: number) {
    return this.coinsWithDays(vs, from, to).map((coinId) => {
      const rs = this.dailyReturns(coinId, vs, from, to).map((d) => d.r).filter((r) => r !== null);
      const sd = stddevSamp(rs);
      return {
        coin_id: coinId,
        volatility: sd === null ? null : sd * Math.sqrt(365),
        observations: rs.length,
      };
    });
  }

  rollingVolatility(vs: string, coins: string[] | null, windowDays: number, from: number, to: number) {
    const rows = [];
    for (const coinId of this.coinsWithDays(vs, from - windowDays * DAY, to)) {
      if (coins && !coins.includes(coinId)) continue;
      const days = this.dailyReturns(coinId, vs, from - windowDays * DAY, to);
      for (const d of days) {
        if (d.bucket <= from - DAY) continue;
        const rs = days.filter((x) => x.bucket >= d.bucket - (windowDays - 1) * DAY && x.bucket <= d.bucket)
          .map((x) => x.r).filter((r) => r !== null);
        const sd = stddevSamp(rs);
        rows.push({ time: d.bucket, coin_id: coinId, volatility: sd === null ? null : sd * Math.sqrt(365) });
      }
    }
    return rows;
  }

  riskMetrics(vs: string, from: number, to: number) {
    return this.coinsWithDays(vs, from, to).map((coinId) => {
      const days = this.dailyReturns(coinId, vs, from, to);
      const rs = days.map((d) => d.r).filter((r) => r !== null);
      const m = mean(rs), sd = stddevSamp(rs);
      const downside = rs.length
        ? Math.sqrt(rs.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / rs.length)
        : null;
      return {
        coin_id: coinId,
        observations: rs.length,
        mean_log_return: m,
        volatility: sd === null ? null : sd * Math.sqrt(365),
        max_drawdown: maxDrawdown(days.map((d) => d.close)),
        sharpe: m === null || !sd ? null : m / sd * Math.sqrt(365),
        sortino: m === null || !downside ? null : m / downside * Math.sqrt(365),
      };
    });
  }

  drawdownSeries(coinId: string, vs: string, from: number, to: number) {
    let peak = -Infinity;
    return this.dailyReturns(coinId, vs, from, to).map((d) => {
      peak = Math.max(peak, d.close);
      return {
        time: d.bucket,
        price: d.close,
        running_peak: peak,
        drawdown: peak === 0 ? null : 1 - d.close / peak,
      };
    });
  }

  correlationMatrix(vs: string, coins: string[], from: number, to: number) {
    const chosen = [...new Set(coins)];
    const returns = new Map(chosen.map((c) => [
      c,
      new Map(this.dailyReturns(c, vs, from, to).filter((d) => d.r !== null).map((d) => [d.bucket, d.r!])),
    ]));
    const rows = [];
    for (const a of chosen) {
      for (const b of chosen) {
        const ra = returns.get(a)!, rb = returns.get(b)!;
        const days = [...ra.keys()].filter((d) => rb.has(d));
        rows.push({
          coin_a: a,
          coin_b: b,
          correlation: pearson(days.map((d) => ra.get(d)!), days.map((d) => rb.get(d)!)),
          observations: days.length,
        });
      }
    }
    return rows;
  }

  riskReturn(vs: string, from: number, to: number) {
    return this.volatilityBetween(vs, from, to).filter((v) => this.coins.has(v.coin_id)).map((v) => {
      const coin = this.coins.get(v.coin_id)!;
      const end = this.priceAt(coin.id, vs, to), start = this.priceAt(coin.id, vs, from);
      return {
        coin_id: coin.id,
        symbol: coin.symbol,
        name: coin.name,
        volatility: v.volatility,
        roi: end && start && end.time > from && start.price !== 0 ? end.price / start.price - 1 : null,
        market_cap: end?.marketCap ?? null,
        change_24h_pct: end ? change(end.price, this.priceBefore(coin.id, vs, end.time, DAY)) : null,
      };
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Trend

  dailyTrend() {
    const rows = [];
    for (const { coinId, vs } of this.series()) {
      const closes = this.daily.get(key(coinId, vs))!;
      const sma = (i: number, n: number) =>
        i + 1 >= n ? mean(closes.slice(i + 1 - n, i + 1).map((c) => c.close)) : null;
      let previous: { sma50: number | null; sma200: number | null } | null = null;
      for (let i = 0; i < closes.length; i++) {
        const c = closes[i]!;
        let rsi: number | null = null;
        if (i >= 14) {
          let gains = 0, moves = 0;
          for (let j = i - 13; j <= i; j++) {
            const delta = closes[j]!.close - closes[j - 1]!.close;
            gains += Math.max(delta, 0);
            moves += Math.abs(delta);
          }
          rsi = moves === 0 ? null : 100 * gains / moves;
        }
        const sma50 = sma(i, 50), sma200 = sma(i, 200);
        let cross: string | null = null;
        if (sma50 !== null && sma200 !== null && previous?.sma50 != null && previous.sma200 != null) {
          if (sma50 > sma200 && previous.sma50 <= previous.sma200) cross = "golden";
          if (sma50 < sma200 && previous.sma50 >= previous.sma200) cross = "death";
        }
        previous = { sma50, sma200 };
        rows.push({
          bucket: c.bucket,
          coin_id: coinId,
          vs_currency: vs,
          close: c.close,
          sma_7: sma(i, 7),
          sma_30: sma(i, 30),
          sma_50: sma50,
          sma_200: sma200,
          rsi_14: rsi,
          cross,
        });
      }
    }
    return rows;
  }
}

export function maxDrawdown(closes: number[]): number | null {
  let peak = -Infinity, worst: number | null = null;
  for (const close of closes) {
    peak = Math.max(peak, close);
    if (peak !== 0) worst = Math.max(worst ?? -Infinity, 1 - close / peak);
  }
  return worst;
}

function buildCandles(rows: Snapshot[], size: number): Candle[] {
  const candles: Candle[] = [];
  for (const row of rows) {
    const bucket = Math.floor(row.time / size) * size;
    const last = candles.at(-1);
    if (last && last.bucket === bucket) {
      last.close = row.price;
      last.closeTime = row.time;
      last.high = Math.max(last.high, row.price);
      last.low = Math.min(last.low, row.price);
      last.marketCap = row.marketCap;
      last.volume = row.totalVolume;
    } else {
      candles.push({
        bucket,
        open: row.price,
        close: row.price,
        closeTime: row.time,
        high: row.price,
        low: row.price,
        marketCap: row.marketCap,
        volume: row.totalVolume,
      });
    }
  }
  return candles;
}

// ---------------------------------------------------------------------------------------------------
// Global snapshots

export function dominanceHistory(globals: GlobalSnapshot[]) {
  const rows = [];
  for (const g of globals) {
    const entries = Object.entries(g.marketCapPercentage).filter(([, v]) => typeof v === "number") as [
      string,
      number,
    ][];
    for (const [symbol, value] of entries) rows.push({ time: g.time, symbol, dominance_pct: value });
    if (entries.length) {
      rows.push({
        time: g.time,
        symbol: "others",
        dominance_pct: 100 - entries.reduce((a, [, v]) => a + v, 0),
      });
    }
  }
  return rows;
}

export function globalMarketHistory(globals: GlobalSnapshot[], market: Market) {
  const newest = market.newestDay();
  const currencies = new Set(["usd"]);
  for (const { coinId, vs } of market.series()) {
    if (market.daily.get(key(coinId, vs))!.some((d) => d.bucket >= newest - 7 * DAY)) currencies.add(vs);
  }
  const rows = [];
  for (const g of globals) {
    for (const vs of currencies) {
      if (!(vs in g.totalMarketCap)) continue;
      const volume = g.totalVolume[vs];
      rows.push({
        time: g.time,
        vs_currency: vs,
        total_market_cap: Number(g.totalMarketCap[vs]),
        total_volume: volume === undefined || volume === null ? null : Number(volume),
        market_cap_change_pct_24h_usd: g.marketCapChangePct24hUsd,
        active_cryptocurrencies: g.activeCryptocurrencies,
        markets: g.markets,
      });
    }
  }
  return rows;
}

/** The last global snapshot of each `step` bucket (aligned on 2000-01-03 UTC) within [from, to]. */
export function globalsBetween(globals: GlobalSnapshot[], from: number, to: number, step: number) {
  const origin = Date.UTC(2000, 0, 3);
  const picked: GlobalSnapshot[] = [];
  for (let start = origin + Math.floor((from - origin) / step) * step; start <= to; start += step) {
    const inside = globals.filter((g) =>
      g.time >= start && g.time < start + step && g.time >= from && g.time <= to
    );
    const last = inside.sort((a, b) => a.time - b.time).at(-1);
    if (last) picked.push(last);
  }
  return picked;
}
