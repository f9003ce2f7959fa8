/** ROI calculator: what `amount` invested at the start of the range is worth now, per coin. */
import { InterpolateFunction } from '@grafana/data';
import { CoinTable, Coin, Issue } from './frames';
import { isNum } from './stats';

export interface RoiRow {
  coin: Coin;
  rank: number;
  roi: number;
  value: number;
  gain: number;
}

export function resolveAmount(
  option: number,
  variable: string,
  replaceVariables?: InterpolateFunction
): { amount: number; source: 'variable' | 'option' } {
  const name = variable.trim().replace(/^\$\{?|\}$/g, '');
  if (name && replaceVariables) {
    const expr = `$${name}`;
    const raw = replaceVariables(expr);
    // An unknown variable comes back unchanged; only a numeric value overrides the option.
    const n = raw !== expr && raw.trim() !== '' ? Number(raw.replace(/[\s,_]/g, '')) : NaN;
    if (Number.isFinite(n)) {
      return { amount: n, source: 'variable' };
    }
  }
  return { amount: isNum(option) ? option : 0, source: 'option' };
}

export function buildRoiRows(table: CoinTable, amount: number): { rows: RoiRow[]; issues: Issue[] } {
  const issues: Issue[] = [...table.issues];
  if (table.coins.length && !table.provided.has('roi')) {
    issues.push({
      level: 'error',
      message:
        'Missing column `roi` (or `start_price` and `end_price`, or a price series): the ROI calculator needs it.',
    });
  }
  const withRoi = table.coins.filter((c) => isNum(c.roi));
  const without = table.coins.length - withRoi.length;
  if (without && table.provided.has('roi')) {
    issues.push({
      level: withRoi.length ? 'warning' : 'error',
      message: `${without} coins have no ROI and are not ranked.`,
    });
  }
  const rows = withRoi
    .map((coin) => ({ coin, roi: coin.roi!, value: amount * (1 + coin.roi!), gain: amount * coin.roi!, rank: 0 }))
    .sort((a, b) => b.roi - a.roi || a.coin.coinId.localeCompare(b.coin.coinId));
  rows.forEach((r, i) => (r.rank = i + 1));
  return { rows, issues };
}
