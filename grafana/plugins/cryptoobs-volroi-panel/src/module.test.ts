import { plugin } from './module';
import { DEFAULT_OPTIONS, VolRoiOptions } from './types';

interface Item {
  path: string;
  defaultValue?: unknown;
  showIf?: (o: VolRoiOptions) => boolean;
}

// Collects what setPanelOptions registers, without Grafana's option registry.
function registeredOptions(): Item[] {
  const items: Item[] = [];
  const builder: Record<string, unknown> = {};
  for (const m of ['addRadio', 'addNumberInput', 'addTextInput', 'addUnitPicker', 'addBooleanSwitch', 'addSelect']) {
    builder[m] = (item: Item) => {
      items.push(item);
      return builder;
    };
  }
  (plugin as unknown as { optionsSupplier: (b: unknown) => void }).optionsSupplier(builder);
  return items;
}

describe('plugin module', () => {
  it('registers an option with the documented default for every option but version', () => {
    const items = registeredOptions();
    const expected = Object.keys(DEFAULT_OPTIONS)
      .filter((k) => k !== 'version')
      .sort();
    expect(items.map((i) => i.path).sort()).toEqual(expected);
    for (const item of items) {
      expect(item.defaultValue).toEqual(DEFAULT_OPTIONS[item.path as keyof VolRoiOptions]);
    }
  });

  it('shows each option only in its mode', () => {
    const byPath = Object.fromEntries(registeredOptions().map((i) => [i.path, i]));
    const opts = (o: Partial<VolRoiOptions>) => ({ ...DEFAULT_OPTIONS, ...o });
    expect(byPath.amount.showIf!(opts({ mode: 'roi' }))).toBe(true);
    expect(byPath.amount.showIf!(opts({ mode: 'riskReturn' }))).toBe(false);
    expect(byPath.quadrantRoi.showIf!(opts({ quadrant: 'median' }))).toBe(false);
    expect(byPath.quadrantRoi.showIf!(opts({ quadrant: 'fixed' }))).toBe(true);
    expect(byPath.percentiles.showIf!(opts({ mode: 'volatility' }))).toBe(true);
  });

  it('has a migration handler', () => {
    expect(plugin.onPanelMigration).toBeDefined();
  });
});
