/** Click-through from a coin to the coin-detail dashboard. */
import { InterpolateFunction } from '@grafana/data';
import { Coin } from './frames';

export const COIN_TOKEN = '${coin_id}';
// Hides the coin token from Grafana: a dashboard variable called coin_id must not replace it.
const SHIELD = '__volroi_coin_id__';

/** A data link configured on a field of the coin's row (field config "Data links") wins over the template. */
export function fieldLinkHref(coin: Coin): string | undefined {
  const ref = coin.ref;
  if (!ref) {
    return undefined;
  }
  const fields = [...ref.frame.fields].sort((a, b) => Number(b.name === 'coin_id') - Number(a.name === 'coin_id'));
  for (const field of fields) {
    if (field.config?.links?.length && field.getLinks) {
      const link = field.getLinks({ valueRowIndex: ref.rowIndex })[0];
      if (link?.href) {
        return link.href;
      }
    }
  }
  return undefined;
}

/** Link builder for many coins: dashboard variables are replaced once, the coin per call. */
export function detailLinker(
  template: string,
  replaceVariables?: InterpolateFunction
): (coin: Coin) => string | undefined {
  const shielded = template.split(COIN_TOKEN).join(SHIELD);
  const parts = (replaceVariables ? replaceVariables(shielded) : shielded).split(SHIELD);
  const empty = !template.trim();
  return (coin) => fieldLinkHref(coin) ?? (empty ? undefined : parts.join(encodeURIComponent(coin.coinId)));
}

export function detailHref(coin: Coin, template: string, replaceVariables?: InterpolateFunction): string | undefined {
  return detailLinker(template, replaceVariables)(coin);
}
