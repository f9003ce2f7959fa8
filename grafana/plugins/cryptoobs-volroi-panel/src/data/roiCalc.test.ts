import { parseCoinTable } from './frames';
import { buildRoiRows, resolveAmount } from './roiCalc';
import { coinTable, SAMPLE_COINS } from '../test-utils/fixtures';

describe('resolveAmount', () => {
  const vars = (values: Record<string, string>) => (s: string) => s.replace(/\$(\w+)/g, (m, k) => values[k] ?? m);

  it('uses a numeric dashboard variable over the option', () => {
    expect(resolveAmount(1000, 'amount', vars({ amount: '2500' }))).toEqual({ amount: 2500, source: 'variable' });
    expect(resolveAmount(1000, '${amount}', vars({ amount: '1,000,000' }))).toEqual({
      amount: 1e6,
      source: 'variable',
    });
  });

  it('falls back to the option when the variable is unknown, empty or not a number', () => {
    expect(resolveAmount(1000, 'amount', vars({}))).toEqual({ amount: 1000, source: 'option' });
    expect(resolveAmount(1000, 'amount', vars({ amount: 'lots' }))).toEqual({ amount: 1000, source: 'option' });
    expect(resolveAmount(1000, 'amount', vars({ amount: '' }))).toEqual({ amount: 1000, source: 'option' });
    expect(resolveAmount(1000, '', vars({ amount: '5' }))).toEqual({ amount: 1000, source: 'option' });
    expect(resolveAmount(1000, 'amount')).toEqual({ amount: 1000, source: 'option' });
  });
});

describe('buildRoiRows', () => {
  it('ranks coins by ROI and values the investment', () => {
    const { rows, issues } = buildRoiRows(parseCoinTable([coinTable(SAMPLE_COINS)]), 1000);
    expect(issues).toEqual([]);
    expect(rows.map((r) => [r.rank, r.coin.coinId])).toEqual([
      [1, 'dogecoin'],
      [2, 'ethereum'],
      [3, 'bitcoin'],
      [4, 'tether'],
    ]);
    expect(rows[0].value).toBeCloseTo(36000, 9);
    expect(rows[2].gain).toBeCloseTo(600, 9);
    expect(rows[3].value).toBe(1000);
  });

  it('reports missing ROI', () => {
    const noRoi = buildRoiRows(parseCoinTable([coinTable([{ coin_id: 'a', volatility: 1 }])]), 1000);
    expect(noRoi.rows).toEqual([]);
    expect(noRoi.issues[0]).toMatchObject({ level: 'error' });
    expect(noRoi.issues[0].message).toContain('Missing column `roi`');
    const partial = buildRoiRows(
      parseCoinTable([
        coinTable([
          { coin_id: 'a', roi: 1 },
          { coin_id: 'b', roi: null },
        ]),
      ]),
      1
    );
    expect(partial.rows).toHaveLength(1);
    expect(partial.issues).toEqual([{ level: 'warning', message: '1 coins have no ROI and are not ranked.' }]);
  });
});
