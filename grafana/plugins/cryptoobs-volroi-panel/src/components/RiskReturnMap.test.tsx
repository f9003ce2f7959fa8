import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { RiskReturnMap } from './RiskReturnMap';
import { TEST_IDS } from '../constants';
import { DEFAULT_OPTIONS } from '../types';
import { coinTable, loadFixture, longPriceFrame, SAMPLE_COINS } from '../test-utils/fixtures';

const replaceVariables = (s: string) => s.replace('${__url_time_range}', 'from=1&to=2');
const renderMap = (frames = [coinTable(SAMPLE_COINS)], options = {}) =>
  render(
    <RiskReturnMap
      frames={frames}
      options={{ ...DEFAULT_OPTIONS, ...options }}
      width={700}
      height={400}
      replaceVariables={replaceVariables}
    />
  );

describe('RiskReturnMap', () => {
  it('draws one bubble per coin with axes, quadrant lines and labels', () => {
    renderMap();
    expect(screen.getAllByTestId(TEST_IDS.point)).toHaveLength(4);
    expect(screen.getByTestId(TEST_IDS.xAxis)).toHaveTextContent('%');
    expect(screen.getByTestId(TEST_IDS.yAxis)).toHaveTextContent('0%');
    expect(screen.getByTestId(TEST_IDS.quadrantX)).toBeInTheDocument();
    expect(
      screen
        .getAllByTestId(TEST_IDS.pointLabel)
        .map((l) => l.textContent)
        .sort()
    ).toEqual(['BTC', 'DOGE', 'ETH', 'USDT']);
    expect(screen.queryByTestId(TEST_IDS.issues)).not.toBeInTheDocument();
  });

  it('links each coin to the coin detail dashboard', () => {
    renderMap();
    const btc = screen.getAllByTestId(TEST_IDS.point).find((p) => p.getAttribute('data-coin') === 'bitcoin')!;
    expect(btc.closest('a')).toHaveAttribute('href', '/d/coin-detail/coin-detail?var-coin=bitcoin&from=1&to=2');
  });

  it('shows every figure in the tooltip on hover', () => {
    renderMap();
    const eth = screen.getAllByTestId(TEST_IDS.point).find((p) => p.getAttribute('data-coin') === 'ethereum')!;
    fireEvent.mouseOver(eth);
    const tip = screen.getByTestId(TEST_IDS.tooltip);
    expect(tip).toHaveTextContent('Ethereum (ETH)');
    expect(tip).toHaveTextContent('95%');
    expect(tip).toHaveTextContent('400%');
    expect(tip).toHaveTextContent('-3%');
    fireEvent.mouseLeave(eth.closest('g')!);
    expect(screen.queryByTestId(TEST_IDS.tooltip)).not.toBeInTheDocument();
  });

  it('computes the map from a real price series', () => {
    renderMap([longPriceFrame(loadFixture())]);
    expect(screen.getAllByTestId(TEST_IDS.point)).toHaveLength(4);
    // No market cap / 24h change in a bare price series: the panel says so.
    expect(screen.getByTestId(TEST_IDS.issues)).toHaveTextContent('market_cap');
  });

  it('explains empty data', () => {
    renderMap([]);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('The query returned no rows.');
    expect(screen.queryByTestId(TEST_IDS.point)).not.toBeInTheDocument();
  });

  it('names the missing column', () => {
    renderMap([coinTable(SAMPLE_COINS.map(({ coin_id, volatility }) => ({ coin_id, volatility })))]);
    expect(screen.getByTestId(TEST_IDS.message)).toHaveTextContent('Missing column `roi`');
  });
});
