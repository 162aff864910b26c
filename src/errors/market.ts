import { BaseError } from './base.ts'

/** A market that cannot be settled as asked: its question or outcomes, or a model without the market interface. */
export class MarketError extends BaseError {
  override name = 'MarketError'
}

/** A market field outside the bounds the contract enforces (contracts/Market.sol), named before any write. */
export class MarketFieldError extends BaseError {
  override name = 'MarketFieldError'
}

/** A trade whose quote is past the trader's bound (--max-cost, --min-proceeds): refused before sending. */
export class SlippageError extends BaseError {
  override name = 'SlippageError'
}

/** The sender holds less collateral (or fewer shares) than the step needs: refused before sending. */
export class InsufficientFundsError extends BaseError {
  override name = 'InsufficientFundsError'
}

/** A model or input that does not hash to the market's commitment, or that cannot be read. */
export class CommitmentMismatchError extends BaseError {
  override name = 'CommitmentMismatchError'
}

/** A challenge the challenger's own re-execution does not support: the posted settlement holds. */
export class SettlementHoldsError extends BaseError {
  override name = 'SettlementHoldsError'
}

/** A step the market's phase does not allow now (trading closed, nothing to settle or challenge). */
export class MarketPhaseError extends BaseError {
  override name = 'MarketPhaseError'
}
