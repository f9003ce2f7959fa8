import { migrateOptions, migrationHandler } from './migration';
import { DEFAULT_OPTIONS, OPTIONS_VERSION } from './types';

describe('options migration', () => {
  it('fills every default for a new or empty panel', () => {
    expect(migrateOptions(undefined)).toEqual(DEFAULT_OPTIONS);
    expect(migrateOptions({})).toEqual(DEFAULT_OPTIONS);
  });

  it('upgrades unversioned options', () => {
    const out = migrateOptions({ mode: 'vol', percentiles: [5, 50, 95], amount: '250' } as never);
    expect(out).toMatchObject({ version: OPTIONS_VERSION, mode: 'volatility', percentiles: '5,50,95', amount: 250 });
    expect(migrateOptions({ mode: 'risk' } as never).mode).toBe('riskReturn');
  });

  it('replaces invalid values by defaults and keeps valid ones', () => {
    const out = migrateOptions({
      version: 1,
      mode: 'pie',
      quadrant: 'fixed',
      quadrantRoi: 0.2,
      minBubble: 30,
      maxBubble: 10,
      maxRows: -3,
      detailUrl: 42,
    } as never);
    expect(out.mode).toBe(DEFAULT_OPTIONS.mode);
    expect(out.quadrant).toBe('fixed');
    expect(out.quadrantRoi).toBe(0.2);
    expect(out.maxBubble).toBe(30); // never smaller than the smallest bubble
    expect(out.maxRows).toBe(DEFAULT_OPTIONS.maxRows);
    expect(out.detailUrl).toBe(DEFAULT_OPTIONS.detailUrl);
  });

  it('is idempotent on current options', () => {
    const current = {
      ...DEFAULT_OPTIONS,
      mode: 'roi' as const,
      amount: 5,
      amountVariable: 'stake',
      percentiles: '20,80',
    };
    expect(migrateOptions(current)).toEqual(current);
    expect(migrateOptions(migrateOptions(current))).toEqual(current);
  });

  it('is what the plugin registers as migration handler', async () => {
    const panel = {
      id: 1,
      type: 'cryptoobs-volroi-panel',
      options: { amount: '7' },
      fieldConfig: { defaults: {}, overrides: [] },
    };
    expect(await migrationHandler(panel as never)).toMatchObject({ amount: 7, version: OPTIONS_VERSION });
  });
});
