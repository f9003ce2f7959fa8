import { PanelPlugin } from '@grafana/data';
import { VolRoiPanel } from './components/VolRoiPanel';
import { migrationHandler } from './migration';
import { DEFAULT_OPTIONS, PanelMode, VolRoiOptions } from './types';

const isMode = (mode: PanelMode) => (o: VolRoiOptions) => o.mode === mode;
const RISK = ['Risk/return map'];
const ROI = ['ROI calculator'];
const VOL = ['Volatility cone'];

export const plugin = new PanelPlugin<VolRoiOptions>(VolRoiPanel)
  .setMigrationHandler(migrationHandler)
  .setPanelOptions((builder) =>
    builder
      .addRadio({
        path: 'mode',
        name: 'Mode',
        defaultValue: DEFAULT_OPTIONS.mode,
        settings: {
          options: [
            { value: 'riskReturn', label: 'Risk/return' },
            { value: 'roi', label: 'ROI calculator' },
            { value: 'volatility', label: 'Volatility' },
          ],
        },
      })
      .addRadio({
        path: 'quadrant',
        name: 'Quadrant lines',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.quadrant,
        settings: {
          options: [
            { value: 'median', label: 'Median' },
            { value: 'fixed', label: 'Fixed' },
            { value: 'none', label: 'None' },
          ],
        },
        showIf: isMode('riskReturn'),
      })
      .addNumberInput({
        path: 'quadrantVolatility',
        name: 'Volatility line',
        description: 'Annualized volatility as a fraction (1 = 100 %).',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.quadrantVolatility,
        showIf: (o) => o.mode === 'riskReturn' && o.quadrant === 'fixed',
      })
      .addNumberInput({
        path: 'quadrantRoi',
        name: 'ROI line',
        description: 'ROI as a fraction (0 = break-even).',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.quadrantRoi,
        showIf: (o) => o.mode === 'riskReturn' && o.quadrant === 'fixed',
      })
      .addRadio({
        path: 'roiScale',
        name: 'ROI scale',
        description: 'Log plots the growth factor (1 + ROI) on a log axis; also used for the ROI bars.',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.roiScale,
        settings: {
          options: [
            { value: 'log', label: 'Log' },
            { value: 'linear', label: 'Linear' },
          ],
        },
        showIf: (o) => o.mode !== 'volatility',
      })
      .addBooleanSwitch({
        path: 'pinOutliers',
        name: 'Pin outliers',
        description: 'Zoom the axes to the 1st–99th percentile of the coins; the rest are drawn dashed at the edge.',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.pinOutliers,
        showIf: isMode('riskReturn'),
      })
      .addNumberInput({
        path: 'minBubble',
        name: 'Smallest bubble radius (px)',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.minBubble,
        settings: { min: 1, integer: true },
        showIf: isMode('riskReturn'),
      })
      .addNumberInput({
        path: 'maxBubble',
        name: 'Largest bubble radius (px)',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.maxBubble,
        settings: { min: 1, integer: true },
        showIf: isMode('riskReturn'),
      })
      .addNumberInput({
        path: 'labelCount',
        name: 'Labelled coins',
        description: 'The largest coins by market cap get a text label.',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.labelCount,
        settings: { min: 0, integer: true },
        showIf: isMode('riskReturn'),
      })
      .addTextInput({
        path: 'detailUrl',
        name: 'Coin detail link',
        description:
          '${coin_id} is the clicked coin; other variables such as ${__url_time_range} are filled by Grafana. A data link in the field config wins.',
        category: RISK,
        defaultValue: DEFAULT_OPTIONS.detailUrl,
        showIf: isMode('riskReturn'),
      })
      .addNumberInput({
        path: 'amount',
        name: 'Amount invested',
        category: ROI,
        defaultValue: DEFAULT_OPTIONS.amount,
        showIf: isMode('roi'),
      })
      .addTextInput({
        path: 'amountVariable',
        name: 'Amount variable',
        description: 'Name of a dashboard variable that overrides the amount when it holds a number.',
        category: ROI,
        defaultValue: DEFAULT_OPTIONS.amountVariable,
        showIf: isMode('roi'),
      })
      .addUnitPicker({
        path: 'amountUnit',
        name: 'Amount unit',
        category: ROI,
        defaultValue: DEFAULT_OPTIONS.amountUnit,
        showIf: isMode('roi'),
      })
      .addNumberInput({
        path: 'maxRows',
        name: 'Max rows',
        category: ROI,
        defaultValue: DEFAULT_OPTIONS.maxRows,
        settings: { min: 1, integer: true },
        showIf: isMode('roi'),
      })
      .addTextInput({
        path: 'percentiles',
        name: 'Band percentiles',
        description:
          'Comma-separated, paired outside-in: "10,25,50,75,90" draws p10–p90 and p25–p75 bands and a p50 line.',
        category: VOL,
        defaultValue: DEFAULT_OPTIONS.percentiles,
        showIf: isMode('volatility'),
      })
      .addNumberInput({
        path: 'maxSeries',
        name: 'Max coins',
        category: VOL,
        defaultValue: DEFAULT_OPTIONS.maxSeries,
        settings: { min: 1, integer: true },
        showIf: isMode('volatility'),
      })
      .addNumberInput({
        path: 'rollingWindow',
        name: 'Rolling window (points)',
        description: 'Only used when the query returns prices instead of a volatility column.',
        category: VOL,
        defaultValue: DEFAULT_OPTIONS.rollingWindow,
        settings: { min: 2, integer: true },
        showIf: isMode('volatility'),
      })
  );
