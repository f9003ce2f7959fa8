import { colorManipulator, GrafanaTheme2 } from '@grafana/data';
import { isNum } from '../data/stats';

/** 24h change (percent) at which the colour is fully saturated. */
export const CHANGE_SATURATION_PCT = 10;

/** Bubble colour for a 24h change: green up, red down, stronger with the size of the move; neutral if unknown. */
export function changeColor(theme: GrafanaTheme2, pct: number | undefined): string {
  if (!isNum(pct)) {
    return colorManipulator.alpha(theme.colors.text.secondary, 0.45);
  }
  const base = theme.visualization.getColorByName(pct >= 0 ? 'green' : 'red');
  const strength = Math.min(1, Math.abs(pct) / CHANGE_SATURATION_PCT);
  return colorManipulator.alpha(base, 0.3 + 0.6 * strength);
}

export function gainColor(theme: GrafanaTheme2, roi: number): string {
  return theme.visualization.getColorByName(roi >= 0 ? 'green' : 'red');
}

export function seriesColor(theme: GrafanaTheme2, index: number): string {
  const palette = theme.visualization.palette;
  return theme.visualization.getColorByName(palette[index % palette.length]);
}
