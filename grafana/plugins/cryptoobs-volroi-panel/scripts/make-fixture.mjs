// Regenerates test/fixtures/coingecko-2021q1.csv: a small slice of the real history for the jest tests.
// Usage: node scripts/make-fixture.mjs
import fs from 'node:fs';
import path from 'node:path';
import { loadHistory, pluginDir } from './history.mjs';

const COINS = ['bitcoin', 'ethereum', 'dogecoin', 'tether'];
const FROM = Date.UTC(2021, 0, 1);
const TO = Date.UTC(2021, 3, 1); // exclusive

const history = loadHistory();
const lines = ['timestamp,coinId,price,marketCap,totalVolume'];
for (const id of COINS) {
  for (const r of history.get(id) ?? []) {
    if (r.time >= FROM && r.time < TO) {
      lines.push([r.time, r.coinId, r.price, r.marketCap, r.volume].join(','));
    }
  }
}
const out = path.join(pluginDir, 'test', 'fixtures', 'coingecko-2021q1.csv');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length - 1} rows to ${path.relative(process.cwd(), out)}`);
