import React from 'react';
import { render, screen } from '@testing-library/react';
import { createDataFrame, FieldType } from '@grafana/data';
import { VolatilityCone } from './VolatilityCone';
import { TEST_IDS } from '../constants';
import { DEFAULT_OPTIONS } from '../types';
import { loadFixture, longPriceFrame, volatilityFrame } from '../test-utils/fixtures';

const renderCone = (frames = [volatilityFrame(['bitcoin', 'ethereum'], 60, 'ethereum')], options = {}) =>
  render(
    <VolatilityCone
      frames={frames}
      options={{ ...DEFAULT_OPTIONS, ...options }}
      width={700}
      height={400}
      timeZone="utc"
    />
  );

describe('VolatilityCone', () => {
  it('draws a row per coin with two bands and flags the unusual one', () => {
    renderCone();
    const rows = screen.getAllByTestId(TEST_IDS.coneRow);
    expect(rows.map((r) => r.getAttribute('data-coin'))).toEqual(['bitcoin', 'ethereum']);
    expect(screen.getAllByTestId(TEST_IDS.coneBand)).toHaveLength(4);
    expect(screen.getAllByTestId(TEST_IDS.coneLine)).toHaveLength(2);
    const alerts = screen.getAllByTestId(TEST_IDS.coneAlert);
    expect(alerts).toHaveLength(1);
    expect(rows[1]).toContainElement(alerts[0]);
    expect(rows[1]).toHaveTextContent('above p90');
    expect(screen.getByTestId(TEST_IDS.xAxis).textContent).toMatch(/Jan|Feb|Mar/);
  });

  it('computes rolling volatility from real prices', () => {
    renderCone([longPriceFrame(loadFixture())], { maxSeries: 10, rollingWindow: 20 });
    expect(screen.getAllByTestId(TEST_IDS.coneRow)).toHaveLength(4);
    expect(screen.getByTestId(TEST_IDS.issues)).toHaveTextContent('computed 20-point rolling volatility');
  });

  it('explains empty data', () => {
    renderCone([]);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('no rows');
  });

  it('explains frames it cannot read', () => {
    const frame = createDataFrame({ fields: [{ name: 'coin_id', type: FieldType.string, values: ['x'] }] });
    renderCone([frame]);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('found coin_id');
  });
});
