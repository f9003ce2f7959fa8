import { PanelPlugin } from '@grafana/data';
import { VolRoiOptions } from './types';
import { VolRoiPanel } from './components/VolRoiPanel';
export const plugin = new PanelPlugin<VolRoiOptions>(VolRoiPanel);
