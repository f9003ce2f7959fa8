import React from 'react';
import { render, screen } from '@testing-library/react';
import { LoadingState } from '@grafana/data';
import { VolRoiPanel } from './VolRoiPanel';
import { TEST_IDS } from '../constants';
import { coinTable, panelData, panelProps, SAMPLE_COINS, volatilityFrame } from '../test-utils/fixtures';

describe('VolRoiPanel', () => {
  it('renders the mode chosen in the options', () => {
    const { rerender } = render(<VolRoiPanel {...panelProps([coinTable(SAMPLE_COINS)])} />);
    expect(screen.getByTestId(TEST_IDS.riskReturn)).toBeInTheDocument();
    rerender(<VolRoiPanel {...panelProps([coinTable(SAMPLE_COINS)], { mode: 'roi' })} />);
    expect(screen.getAllByTestId(TEST_IDS.roiRow)).toHaveLength(4);
    rerender(<VolRoiPanel {...panelProps([volatilityFrame(['a'], 30)], { mode: 'volatility' })} />);
    expect(screen.getAllByTestId(TEST_IDS.coneRow)).toHaveLength(1);
  });

  it('works with partial options (defaults fill the rest)', () => {
    const props = panelProps([coinTable(SAMPLE_COINS)]);
    render(<VolRoiPanel {...props} options={{ mode: 'roi' } as never} />);
    expect(screen.getAllByTestId(TEST_IDS.roiRow)[0]).toHaveTextContent('$36K');
  });

  it('explains empty data', () => {
    render(<VolRoiPanel {...panelProps([])} />);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('The query returned no rows.');
  });

  it('stays quiet while the first query is loading', () => {
    const props = panelProps([]);
    props.data = panelData([], { state: LoadingState.Loading });
    render(<VolRoiPanel {...props} />);
    expect(screen.getByTestId(TEST_IDS.panel)).toBeEmptyDOMElement();
  });

  it('shows query errors when there is no data', () => {
    const props = panelProps([]);
    props.data = panelData([], {
      state: LoadingState.Error,
      errors: [{ message: 'relation "coin_stats" does not exist' }],
    });
    render(<VolRoiPanel {...props} />);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('relation "coin_stats" does not exist');
  });
});
