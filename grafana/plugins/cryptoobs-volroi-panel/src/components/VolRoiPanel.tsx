import React from 'react';
import { PanelProps } from '@grafana/data';
import { VolRoiOptions } from '../types';
export const VolRoiPanel = (_: PanelProps<VolRoiOptions>) => <div>hi</div>;
