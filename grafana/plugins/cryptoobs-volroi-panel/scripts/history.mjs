// Reads the real CoinGecko daily history (2021, MIT, hathix/historical-crypto-data) shipped beside the repo at
// <repo>/../shared/history/coingecko-daily-2021/coins.tar.gz (override with VOLROI_HISTORY).
// A tiny ustar reader on node:zlib keeps this free of dependencies.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(pluginDir, '..', '..', '..');

export function historyTarball() {
  return (
    process.env.VOLROI_HISTORY ??
    path.resolve(repoRoot, '..', 'shared', 'history', 'coingecko-daily-2021', 'coins.tar.gz')
  );
}

/** All regular files of a .tar.gz as { name -> Buffer }. */
export function readTarGz(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const files = new Map();
  let off = 0;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) {
      break;
    }
    const str = (a, b) => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = str(156, 157) || '0';
    const prefix = str(345, 500);
    const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    off += 512;
    if (type === '0') {
      files.set(name, buf.subarray(off, off + size));
    }
    off += Math.ceil(size / 512) * 512;
  }
  return files;
}

function splitCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') {
      quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/** Rows { time, coinId, price, marketCap, volume } of a CoinGecko CSV (header line first). */
export function parseCoinCsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0]);
  const col = (n) => header.indexOf(n);
  const [t, id, p, mc, v] = ['timestamp', 'coinId', 'price', 'marketCap', 'totalVolume'].map(col);
  const num = (s) => (s === undefined || s === '' ? null : Number(s));
  return lines.slice(1).map((line) => {
    const c = splitCsvLine(line);
    return { time: Number(c[t]), coinId: c[id], price: num(c[p]), marketCap: num(c[mc]), volume: num(c[v]) };
  });
}

/** { coinId -> rows } for every coin in the tarball. */
export function loadHistory(file = historyTarball()) {
  const coins = new Map();
  for (const [name, data] of readTarGz(file)) {
    if (name.endsWith('.csv')) {
      const rows = parseCoinCsv(data.toString('utf8'));
      if (rows.length) {
        coins.set(rows[0].coinId, rows);
      }
    }
  }
  return coins;
}
