/** Panel options migration: fills defaults and normalises options saved by older versions or edited JSON. */
import { PanelMigrationHandler } from '@grafana/data';
import { DEFAULT_OPTIONS, OPTIONS_VERSION, PanelMode, QuadrantMode, RoiScale, VolRoiOptions } from './types';

const MODES: PanelMode[] = ['riskReturn', 'roi', 'volatility'];
const QUADRANTS: QuadrantMode[] = ['median', 'fixed', 'none'];
const SCALES: RoiScale[] = ['linear', 'log'];

function pick<T extends string>(value: unknown, allowed: T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** Numbers may arrive as strings from provisioned JSON; anything else non-numeric falls back to the default. */
function num(value: unknown, fallback: number, min = -Infinity): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= min ? n : fallback;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * Version history:
 * - 0 (no `version`): options saved before versioning, or hand-written provisioning JSON. Same keys as v1, but
 *   `percentiles` may be an array of numbers and `mode` may use the short names 'risk' / 'vol'.
 * - 1: current shape (`VolRoiOptions`).
 */
export function migrateOptions(saved: Partial<VolRoiOptions> | Record<string, unknown> | undefined): VolRoiOptions {
  const o = { ...(saved ?? {}) } as Record<string, unknown>;
  const version = num(o.version, 0);
  if (version < 1) {
    if (Array.isArray(o.percentiles)) {
      o.percentiles = o.percentiles.join(',');
    }
    o.mode = ({ risk: 'riskReturn', vol: 'volatility' } as Record<string, string>)[String(o.mode)] ?? o.mode;
  }
  const d = DEFAULT_OPTIONS;
  const minBubble = num(o.minBubble, d.minBubble, 1);
  return {
    version: OPTIONS_VERSION,
    mode: pick(o.mode, MODES, d.mode),
    quadrant: pick(o.quadrant, QUADRANTS, d.quadrant),
    quadrantVolatility: num(o.quadrantVolatility, d.quadrantVolatility, 0),
    quadrantRoi: num(o.quadrantRoi, d.quadrantRoi, -1),
    roiScale: pick(o.roiScale, SCALES, d.roiScale),
    pinOutliers: typeof o.pinOutliers === 'boolean' ? o.pinOutliers : d.pinOutliers,
    minBubble,
    maxBubble: Math.max(minBubble, num(o.maxBubble, d.maxBubble, 1)),
    labelCount: Math.round(num(o.labelCount, d.labelCount, 0)),
    detailUrl: str(o.detailUrl, d.detailUrl),
    amount: num(o.amount, d.amount),
    amountVariable: str(o.amountVariable, d.amountVariable),
    amountUnit: str(o.amountUnit, d.amountUnit) || d.amountUnit,
    maxRows: Math.round(num(o.maxRows, d.maxRows, 1)),
    percentiles: str(o.percentiles, d.percentiles),
    maxSeries: Math.round(num(o.maxSeries, d.maxSeries, 1)),
    rollingWindow: Math.round(num(o.rollingWindow, d.rollingWindow, 2)),
  };
}

export const migrationHandler: PanelMigrationHandler<VolRoiOptions> = (panel) => migrateOptions(panel.options);
