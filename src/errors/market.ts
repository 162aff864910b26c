import { BaseError } from './base.ts'

/** A market that cannot be settled as asked: its question or outcomes, or a model without the market interface. */
export class MarketError extends BaseError {
  override name = 'MarketError'
}
