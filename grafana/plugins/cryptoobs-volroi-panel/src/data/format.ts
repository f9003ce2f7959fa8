/** Value formatting from the field config (unit, decimals), with a sensible unit when none is set. */
import { Field, FieldType, formattedValueToString, getDisplayProcessor, GrafanaTheme2 } from '@grafana/data';
import { isNum } from './stats';

export type Formatter = (v: number | undefined) => string;

export const MISSING = '–';

/** Default units by project convention: volatility/roi are fractions, *_pct are percentages. */
export const DEFAULT_UNITS = {
  volatility: 'percentunit',
  roi: 'percentunit',
  marketCap: 'currencyUSD',
  change24hPct: 'percent',
  startPrice: 'currencyUSD',
  endPrice: 'currencyUSD',
} as const;

export function makeFormatter(field: Field | undefined, defaultUnit: string, theme: GrafanaTheme2): Formatter {
  // Grafana sets field.display once field overrides are applied; use it when the field has its own unit.
  const display =
    field?.config?.unit && field.display
      ? field.display
      : getDisplayProcessor({
          field: {
            type: FieldType.number,
            config: {
              ...field?.config,
              unit: field?.config?.unit || defaultUnit,
              thresholds: undefined,
              mappings: undefined,
            },
          },
          theme,
        });
  return (v) => (isNum(v) ? formattedValueToString(display(v)) : MISSING);
}
