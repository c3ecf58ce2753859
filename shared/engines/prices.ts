import type { PriceTable } from '../config';

/** The price of a model, matching dated snapshots (`gpt-4.1-mini-2025-04-14`) by prefix. */
export function priceFor(model: string, prices: PriceTable) {
  if (prices[model]) return prices[model];
  const prefix = Object.keys(prices)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? prices[prefix] : undefined;
}
