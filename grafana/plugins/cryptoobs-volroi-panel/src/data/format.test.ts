import { createTheme, FieldType, getDisplayProcessor } from '@grafana/data';
import { DEFAULT_UNITS, makeFormatter, MISSING } from './format';

const theme = createTheme();

describe('makeFormatter', () => {
  it('formats fractions as percent when the field has no unit', () => {
    expect(makeFormatter(undefined, DEFAULT_UNITS.roi, theme)(0.123)).toBe('12.3%');
    expect(makeFormatter(undefined, DEFAULT_UNITS.change24hPct, theme)(5)).toBe('5%');
    expect(makeFormatter(undefined, DEFAULT_UNITS.roi, theme)(undefined)).toBe(MISSING);
    expect(makeFormatter(undefined, DEFAULT_UNITS.roi, theme)(NaN)).toBe(MISSING);
  });

  it('keeps the decimals of the field config', () => {
    const field = { name: 'roi', type: FieldType.number, values: [], config: { decimals: 2 } };
    expect(makeFormatter(field, DEFAULT_UNITS.roi, theme)(0.123)).toBe('12.30%');
  });

  it("uses the field's own unit and display processor", () => {
    const field = { name: 'market_cap', type: FieldType.number, values: [], config: { unit: 'short', decimals: 1 } };
    expect(makeFormatter(field, DEFAULT_UNITS.marketCap, theme)(1.5e9)).toBe('1.5 Bil');
    const withDisplay = {
      ...field,
      display: getDisplayProcessor({ field: { ...field, config: { unit: 'percent' } }, theme }),
    };
    expect(makeFormatter(withDisplay, DEFAULT_UNITS.marketCap, theme)(5)).toBe('5%');
  });
});
