import { createDataFrame, FieldType } from '@grafana/data';
import { classifyFrame, parseCoinTable, parseSeries } from './frames';
import { annualizedVolatility } from './stats';
import { coinTable, loadFixture, longPriceFrame, rowsOf, SAMPLE_COINS, volatilityFrame } from '../test-utils/fixtures';

const rows = loadFixture();

describe('parseCoinTable', () => {
  it('reads one row per coin', () => {
    const table = parseCoinTable([coinTable(SAMPLE_COINS)]);
    expect(table.issues).toEqual([]);
    expect(table.shapes).toEqual(['table']);
    expect(table.coins.map((c) => c.coinId)).toEqual(['bitcoin', 'ethereum', 'tether', 'dogecoin']);
    expect(table.coins[1]).toMatchObject({
      symbol: 'eth',
      volatility: 0.95,
      roi: 4,
      marketCap: 4e11,
      change24hPct: -3,
    });
    expect([...table.provided].sort()).toEqual(['change24hPct', 'marketCap', 'roi', 'volatility']);
    expect(table.fields.roi?.name).toBe('roi');
  });

  it('derives roi from start and end price and accepts numeric strings and any column case', () => {
    const frame = createDataFrame({
      fields: [
        { name: 'COIN_ID', type: FieldType.string, values: ['a', 'b', 'c'] },
        { name: 'Start_Price', type: FieldType.number, values: [10, 0, '4'] },
        { name: 'end_price', type: FieldType.number, values: [15, 3, '5'] },
      ],
    });
    const table = parseCoinTable([frame]);
    expect(table.provided.has('roi')).toBe(true);
    expect(table.coins[0].roi).toBeCloseTo(0.5, 12);
    expect(table.coins[1].roi).toBeUndefined(); // start price 0: no ROI rather than Infinity
    expect(table.coins[2].roi).toBeCloseTo(0.25, 12);
  });

  it('concatenates several frames and merges figures of the same coin', () => {
    const a = coinTable([{ coin_id: 'bitcoin', roi: 0.5 }], 'A');
    const b = coinTable(
      [
        { coin_id: 'bitcoin', volatility: 0.8 },
        { coin_id: 'ethereum', volatility: 1.1 },
      ],
      'B'
    );
    const table = parseCoinTable([a, b]);
    expect(table.coins).toHaveLength(2);
    expect(table.coins[0]).toMatchObject({ coinId: 'bitcoin', roi: 0.5, volatility: 0.8 });
    expect(table.coins[1].roi).toBeUndefined();
  });

  it('computes roi and volatility from a long price series of real history', () => {
    const table = parseCoinTable([longPriceFrame(rows)]);
    expect(table.shapes).toEqual(['long']);
    expect(table.coins.map((c) => c.coinId).sort()).toEqual(['bitcoin', 'dogecoin', 'ethereum', 'tether']);
    const eth = rowsOf(rows, 'ethereum');
    const coin = table.coins.find((c) => c.coinId === 'ethereum')!;
    expect(coin.roi).toBeCloseTo(eth[eth.length - 1].price / eth[0].price - 1, 12);
    expect(coin.volatility).toBeCloseTo(
      annualizedVolatility(
        eth.map((r) => r.time),
        eth.map((r) => r.price)
      )!,
      12
    );
    expect(coin.startPrice).toBe(eth[0].price);
  });

  it('sorts long rows by time before computing', () => {
    const btc = rowsOf(rows, 'bitcoin').slice(0, 30);
    const shuffled = [...btc].reverse();
    const a = parseCoinTable([longPriceFrame(btc)]).coins[0];
    const b = parseCoinTable([longPriceFrame(shuffled)]).coins[0];
    expect(b.roi).toBeCloseTo(a.roi!, 12);
    expect(b.volatility).toBeCloseTo(a.volatility!, 12);
  });

  it('reads wide frames, taking the coin from labels or the display name', () => {
    const btc = rowsOf(rows, 'bitcoin');
    const eth = rowsOf(rows, 'ethereum');
    const frame = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: btc.map((r) => r.time) },
        { name: 'price', type: FieldType.number, labels: { coin_id: 'bitcoin' }, values: btc.map((r) => r.price) },
        { name: 'eth', type: FieldType.number, config: { displayName: 'ethereum' }, values: eth.map((r) => r.price) },
      ],
    });
    expect(classifyFrame(frame, 'price')).toBe('wide');
    const table = parseCoinTable([frame]);
    expect(table.coins.map((c) => c.coinId)).toEqual(['bitcoin', 'ethereum']);
    expect(table.coins[0].roi).toBeCloseTo(btc[btc.length - 1].price / btc[0].price - 1, 12);
  });

  it('reports empty input and unknown frames with the columns found', () => {
    expect(parseCoinTable([]).issues).toEqual([{ level: 'error', message: 'The query returned no rows.' }]);
    expect(parseCoinTable(undefined).coins).toEqual([]);
    const odd = createDataFrame({ refId: 'Q', fields: [{ name: 'foo', type: FieldType.string, values: ['x'] }] });
    const issues = parseCoinTable([odd]).issues;
    expect(issues[0].level).toBe('error');
    expect(issues[0].message).toContain('Frame Q');
    expect(issues[0].message).toContain('found foo');
  });

  it('warns when a series has too few points', () => {
    const btc = rowsOf(rows, 'bitcoin').slice(0, 2);
    const table = parseCoinTable([longPriceFrame(btc)]);
    expect(table.coins[0].roi).toBeDefined();
    expect(table.coins[0].volatility).toBeUndefined();
    expect(table.issues[0]).toMatchObject({ level: 'warning' });
    expect(table.issues[0].message).toContain('bitcoin (2)');
  });
});

describe('parseSeries', () => {
  it('groups a long volatility frame per coin', () => {
    const set = parseSeries([volatilityFrame(['a', 'b'], 20)], 'volatility');
    expect(set.shapes).toEqual(['long']);
    expect(set.series.map((s) => [s.coinId, s.values.length])).toEqual([
      ['a', 20],
      ['b', 20],
    ]);
    expect(set.series[0].times[0]).toBe(Date.UTC(2021, 0, 1));
  });

  it('merges the same coin across frames', () => {
    const f = volatilityFrame(['a'], 10);
    const set = parseSeries([f, f], 'volatility');
    expect(set.series).toHaveLength(1);
    expect(set.series[0].values).toHaveLength(20);
  });

  it('says what is missing', () => {
    const noValues = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [1, 2] },
        { name: 'coin_id', type: FieldType.string, values: ['a', 'b'] },
      ],
    });
    const set = parseSeries([noValues], 'volatility');
    expect(set.series).toEqual([]);
    expect(set.issues[0].message).toContain('expected `time` + `coin_id` + `volatility`');
  });
});
