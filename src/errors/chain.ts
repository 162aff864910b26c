// Errors from wallets and chains, each saying what the visitor can do about it. The anchor queue
// (src/chain/queue.ts) decides by class whether to wait for the visitor or to retry by itself.
import { BaseError } from './base.ts'

/** No wallet answered, or the visitor has not connected one. */
export class WalletUnavailableError extends BaseError {
  override name = 'WalletUnavailableError'
}

/** The visitor said no in the wallet (EIP-1193 code 4001). Nothing is retried until they ask again. */
export class UserRejectedError extends BaseError {
  override name = 'UserRejectedError'
  constructor(what: string, options: { cause?: unknown } = {}) {
    super(`You declined ${what} in your wallet.`, {
      ...options,
      details: 'Nothing was sent. The receipt stays in the queue; choose Retry to try again.',
    })
  }
}

/** The wallet is on another chain than the one receipts are anchored on. */
export class ChainMismatchError extends BaseError {
  override name = 'ChainMismatchError'
  readonly expected: number
  readonly actual: number
  constructor(expected: number, actual: number, options: { cause?: unknown } = {}) {
    super(`Your wallet is on chain ${actual}; receipts are anchored on chain ${expected}.`, {
      ...options,
      details: 'Switch the wallet to that chain (the app asks it to), then retry.',
    })
    this.expected = expected
    this.actual = actual
  }
}

/** The chain's RPC did not answer: temporary, retried with backoff. */
export class RpcUnavailableError extends BaseError {
  override name = 'RpcUnavailableError'
}

/** A setting for the chain (RPC URL, chain id, registry address) that cannot be used. */
export class ChainConfigError extends BaseError {
  override name = 'ChainConfigError'
}

/** The peer's libp2p key cannot prove a registration (only secp256k1 peer ids are checked on-chain). */
export class PeerKeyError extends BaseError {
  override name = 'PeerKeyError'
}

/** A transaction was mined but the chain holds no anchor (or registration, or round result) from it. */
export class AnchorMissingError extends BaseError {
  override name = 'AnchorMissingError'
}

/** No contract answers at the configured address: the wrong address or chain, or not deployed there. */
export class ContractMissingError extends BaseError {
  override name = 'ContractMissingError'
}

/** An error the wallet or its RPC gave that Lockstep has no better name for; its words are in the details. */
export class WalletError extends BaseError {
  override name = 'WalletError'
}

/**
 * An EIP-1193 provider error with its numeric `code` (4001 rejected, 4902 unknown chain, …), as the
 * embedded dev wallet raises them; walletError (src/chain/wallet.ts) maps codes to the errors above.
 */
export class ProviderRpcError extends BaseError {
  override name = 'ProviderRpcError'
  readonly code: number
  constructor(code: number, message: string) {
    super(message)
    this.code = code
  }
}

/** The contract refused the transaction (a revert, named when the ABI knows it): sending it again changes nothing. */
export class RevertedError extends BaseError {
  override name = 'RevertedError'
}

/** A round result queued before its peer's registration landed: retried until it has. */
export class PeerNotRegisteredError extends BaseError {
  override name = 'PeerNotRegisteredError'
}

/** The peer id is registered to another address: the registry refuses its round results from this one. */
export class NotYourPeerError extends BaseError {
  override name = 'NotYourPeerError'
}

/** The coordinator answers but has no swarm by that name (a typo, or another deployment's swarm). */
export class NoSuchSwarmError extends BaseError {
  override name = 'NoSuchSwarmError'
}

/**
 * A queued write the chain has moved past (a dispute game's timeout after the other party moved in time, a
 * withdrawal with nothing owed): it can never land, so the queue ends it as `missed` without sending it.
 */
export class ChainMovedOnError extends BaseError {
  override name = 'ChainMovedOnError'
}

/**
 * A reward claim whose round and stage the coordinator has left: it can never land (the contract takes
 * claims for the current stage only), so the queue ends it as `missed` and never sends it again.
 */
export class ClaimWindowClosedError extends BaseError {
  override name = 'ClaimWindowClosedError'
  readonly round: number
  readonly stage: number
  readonly currentRound: number
  readonly currentStage: number
  constructor(
    claim: { round: number; stage: number },
    chain: { round: number; stage: number },
    options: { cause?: unknown } = {},
  ) {
    super(
      `The reward claim for round ${claim.round} stage ${claim.stage} missed its round: the chain is at round ${chain.round} stage ${chain.stage}.`,
      {
        ...options,
        details: 'The coordinator takes a claim only during its own round and stage. Nothing was sent.',
        docsPath: 'docs/chain.md#the-anchor-queue',
      },
    )
    this.round = claim.round
    this.stage = claim.stage
    this.currentRound = chain.round
    this.currentStage = chain.stage
  }
}

/** A coordinator write for a round (or a claim) the chain has not reached yet: retried until it has. */
export class NotYetOnChainError extends BaseError {
  override name = 'NotYetOnChainError'
}

/** A chain write that could never be sent as given (a negative round, a reward out of range): not queued. */
export class InvalidWriteError extends BaseError {
  override name = 'InvalidWriteError'
}
