// Frames for the browser test, produced from the real 2021 CoinGecko history the way the dashboards' SQL
// would: one row per coin for the map, long price rows for the ROI calculator, long rolling volatility rows.
import fs from 'node:fs';
import path from 'node:path';
import { historyTarball, loadHistory } from '../../scripts/history.mjs';

const DAY = 24 * 3600 * 1000;

function coinNames(tarball) {
  const file = path.join(path.dirname(tarball), 'coinlist.csv');
  const names = new Map();
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [id, symbol, ...name] = line.split(',');
      names.set(id, { symbol, name: name.join(',') });
    }
  }
  return names;
}

function logReturnsStd(prices) {
  const r = [];
  for (let i = 1; i < prices.length; i++) {
    r.push(Math.log(prices[i] / prices[i - 1]));
  }
  const mean = r.reduce((s, v) => s + v, 0) / r.length;
  return Math.sqrt(r.reduce((s, v) => s + (v - mean) ** 2, 0) / (r.length - 1));
}

export function loadData() {
  const tarball = historyTarball();
  if (!fs.existsSync(tarball)) {
    throw new Error(`Real history not found at ${tarball} (set VOLROI_HISTORY to coins.tar.gz).`);
  }
  const history = loadHistory(tarball);
  const names = coinNames(tarball);
  // Coins priced on (almost) every day of 2021, largest market cap first.
  const full = [...history.values()]
    .map((rows) => rows.filter((r) => r.price > 0).sort((a, b) => a.time - b.time))
    .filter((rows) => rows.length >= 360)
    .sort((a, b) => (b[b.length - 1].marketCap ?? 0) - (a[a.length - 1].marketCap ?? 0));
  return { full, names, from: full[0][0].time, to: full[0][full[0].length - 1].time + DAY };
}

/** One row per coin: what the risk/return query returns for the whole of 2021. */
export function coinStatsFrame({ full, names }, count) {
  const rows = full.slice(0, count).map((rows) => {
    const p = rows.map((r) => r.price);
    const last = rows[rows.length - 1];
    const meta = names.get(last.coinId) ?? {};
    return {
      coin_id: last.coinId,
      symbol: meta.symbol ?? null,
      name: meta.name ?? null,
      volatility: logReturnsStd(p) * Math.sqrt(365),
      roi: p[p.length - 1] / p[0] - 1,
      market_cap: last.marketCap > 0 ? last.marketCap : null,
      change_24h_pct: (p[p.length - 1] / p[p.length - 2] - 1) * 100,
    };
  });
  const col = (name, type) => ({ name, type, values: rows.map((r) => r[name]) });
  return {
    rows,
    frame: {
      refId: 'A',
      fields: [
        col('coin_id', 'string'),
        col('symbol', 'string'),
        col('name', 'string'),
        col('volatility', 'number'),
        col('roi', 'number'),
        col('market_cap', 'number'),
        col('change_24h_pct', 'number'),
      ],
    },
  };
}

/** Long price rows (time, coin_id, price) for the ROI calculator. */
export function priceFrame({ full }, count) {
  const coins = full.slice(0, count);
  const rows = coins.flatMap((rows) => rows);
  const expected = coins
    .map((rows) => ({ coinId: rows[0].coinId, roi: rows[rows.length - 1].price / rows[0].price - 1 }))
    .sort((a, b) => b.roi - a.roi);
  return {
    expected,
    frame: {
      refId: 'A',
      fields: [
        { name: 'time', type: 'time', values: rows.map((r) => r.time) },
        { name: 'coin_id', type: 'string', values: rows.map((r) => r.coinId) },
        { name: 'price', type: 'number', values: rows.map((r) => r.price) },
      ],
    },
  };
}

/** Long rolling 30-day volatility rows (time, coin_id, volatility) for the volatility cone, up to `until`. */
export function rollingVolFrame({ full }, coinIds, window = 30, until = Infinity) {
  const time = [];
  const coin = [];
  const vol = [];
  for (const id of coinIds) {
    const rows = full.find((r) => r[0].coinId === id).filter((r) => r.time < until);
    for (let end = window; end < rows.length; end++) {
      time.push(rows[end].time);
      coin.push(id);
      vol.push(logReturnsStd(rows.slice(end - window, end + 1).map((r) => r.price)) * Math.sqrt(365));
    }
  }
  return {
    refId: 'A',
    fields: [
      { name: 'time', type: 'time', values: time },
      { name: 'coin_id', type: 'string', values: coin },
      { name: 'volatility', type: 'number', values: vol },
    ],
  };
}
