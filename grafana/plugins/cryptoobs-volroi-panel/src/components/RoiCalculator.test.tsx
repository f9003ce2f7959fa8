import React from 'react';
import { render, screen } from '@testing-library/react';
import { dateTime } from '@grafana/data';
import { RoiCalculator } from './RoiCalculator';
import { TEST_IDS } from '../constants';
import { DEFAULT_OPTIONS } from '../types';
import { coinTable, SAMPLE_COINS } from '../test-utils/fixtures';

const from = dateTime(Date.UTC(2021, 0, 1));
const timeRange = { from, to: from, raw: { from, to: from } };

const renderCalc = (frames = [coinTable(SAMPLE_COINS)], options = {}, replaceVariables = (s: string) => s) =>
  render(
    <RoiCalculator
      frames={frames}
      options={{ ...DEFAULT_OPTIONS, ...options }}
      height={300}
      replaceVariables={replaceVariables}
      timeRange={timeRange}
      timeZone="utc"
    />
  );

describe('RoiCalculator', () => {
  it('ranks coins by what the amount is worth now', () => {
    renderCalc();
    const rows = screen.getAllByTestId(TEST_IDS.roiRow);
    expect(rows.map((r) => r.getAttribute('data-coin'))).toEqual(['dogecoin', 'ethereum', 'bitcoin', 'tether']);
    expect(rows[0]).toHaveTextContent('DOGE');
    expect(rows[0]).toHaveTextContent('$36K');
    expect(rows[2]).toHaveTextContent('$1.60K');
    expect(screen.getByTestId(TEST_IDS.roiCalculator)).toHaveTextContent('invested at 2021-01-01 00:00');
  });

  it('takes the amount from the dashboard variable', () => {
    renderCalc(undefined, {}, (s) => s.replace('$amount', '10'));
    expect(screen.getAllByTestId(TEST_IDS.roiRow)[0]).toHaveTextContent('$360');
    expect(screen.getByTestId(TEST_IDS.roiCalculator)).toHaveTextContent('($amount)');
  });

  it('limits the rows and says so', () => {
    renderCalc(undefined, { maxRows: 2 });
    expect(screen.getAllByTestId(TEST_IDS.roiRow)).toHaveLength(2);
    expect(screen.getByTestId(TEST_IDS.issues)).toHaveTextContent('top 2 of 4');
  });

  it('explains empty data', () => {
    renderCalc([]);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('no rows');
  });

  it('names the missing column', () => {
    renderCalc([coinTable([{ coin_id: 'bitcoin', volatility: 0.5 }])]);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('Missing column `roi`');
  });
});
