import { BaseError } from './base.ts'

/** Text that is not a receipt: not JSON, or a receipt that fails its checks (the details name them). */
export class InvalidReceiptError extends BaseError {
  override name = 'InvalidReceiptError'
}

/** A value that canonical JSON (RFC 8785) cannot encode: undefined, a function, a symbol. */
export class CanonicalJsonError extends BaseError {
  override name = 'CanonicalJsonError'
}

/** A signer whose address is not the producer the body names. */
export class ProducerMismatchError extends BaseError {
  override name = 'ProducerMismatchError'
}

/** A receipt's kernel library is no release this verifier can run; the message names those it can. */
export class UnknownReleaseError extends BaseError {
  override name = 'UnknownReleaseError'
}

/** A known release this verifier refuses to run: retired (unsound), or its training steps not kept. */
export class ReleaseNotRunnableError extends BaseError {
  override name = 'ReleaseNotRunnableError'
}
