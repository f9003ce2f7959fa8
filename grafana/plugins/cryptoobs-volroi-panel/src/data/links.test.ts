import { createDataFrame, FieldType } from '@grafana/data';
import { Coin } from './frames';
import { detailHref } from './links';
import { DEFAULT_DETAIL_URL } from '../types';

// Like Grafana's templateSrv: known variables are replaced, unknown ones are left as they are.
const replaceVariables = (s: string) =>
  s
    .replace('${__url_time_range}', 'from=1609459200000&to=1617235200000')
    .replace(/\$\{coin_id\}|\$coin_id/g, 'dashboard-coin');

describe('detailHref', () => {
  it('fills the coin and lets Grafana fill the time range', () => {
    expect(detailHref({ coinId: 'bitcoin' }, DEFAULT_DETAIL_URL, replaceVariables)).toBe(
      '/d/coin-detail/coin-detail?var-coin=bitcoin&from=1609459200000&to=1617235200000'
    );
  });

  it('encodes ids and works without replaceVariables', () => {
    expect(detailHref({ coinId: 'a b&c' }, '/x?c=${coin_id}')).toBe('/x?c=a%20b%26c');
  });

  it('returns no link for an empty template', () => {
    expect(detailHref({ coinId: 'bitcoin' }, '  ', replaceVariables)).toBeUndefined();
  });

  it('prefers a data link configured on a field of the row', () => {
    const frame = createDataFrame({
      fields: [
        {
          name: 'coin_id',
          type: FieldType.string,
          values: ['bitcoin', 'ethereum'],
          config: { links: [{ title: 'detail', url: '/custom/${__value.raw}' }] },
        },
      ],
    });
    frame.fields[0].getLinks = ({ valueRowIndex }) => [
      {
        href: `/custom/${frame.fields[0].values[valueRowIndex!]}`,
        title: 'detail',
        target: '_self',
        origin: frame.fields[0],
      },
    ];
    const coin: Coin = { coinId: 'ethereum', ref: { frame, rowIndex: 1 } };
    expect(detailHref(coin, DEFAULT_DETAIL_URL, replaceVariables)).toBe('/custom/ethereum');
  });
});
