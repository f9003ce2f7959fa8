import { colorManipulator, GrafanaTheme2 } from '@grafana/data';
import { isNum } from '../data/stats';

/** 24h change (percent) at which the colour is fully saturated. */
export const CHANGE_SATURATION_PCT = 10;

export interface Paint {
  fill: string;
  opacity: number;
}

/**
 * Bubble paint for a 24h change: green up, red down, more opaque with the size of the move; neutral if unknown.
 * Returned as colour + opacity so a thousand bubbles do not each parse and re-serialise a colour.
 */
export function changePaint(theme: GrafanaTheme2, pct: number | undefined): Paint {
  if (!isNum(pct)) {
    return { fill: theme.colors.text.secondary, opacity: 0.45 };
  }
  const fill = theme.visualization.getColorByName(pct >= 0 ? 'green' : 'red');
  return { fill, opacity: 0.3 + 0.6 * Math.min(1, Math.abs(pct) / CHANGE_SATURATION_PCT) };
}

export function changeColor(theme: GrafanaTheme2, pct: number | undefined): string {
  const { fill, opacity } = changePaint(theme, pct);
  return colorManipulator.alpha(fill, opacity);
}

export function gainColor(theme: GrafanaTheme2, roi: number): string {
  return theme.visualization.getColorByName(roi >= 0 ? 'green' : 'red');
}

export function seriesColor(theme: GrafanaTheme2, index: number): string {
  const palette = theme.visualization.palette;
  return theme.visualization.getColorByName(palette[index % palette.length]);
}
