import { BaseError } from './base.ts'

// What a verifier refuses to do for a receipt it has not yet checked: each limit (src/receipts/limits.ts)
// has its own error, so a refusal names which one tripped.

/** A model URI the verifier will not fetch: not http(s) (file:, data:, …), or not a URL at all. */
export class ModelUriError extends BaseError {
  override name = 'ModelUriError'
}

/** A model URI whose host is (or resolves to) a loopback, private or link-local address. */
export class LocalAddressError extends BaseError {
  override name = 'LocalAddressError'
}

/** The model server did not answer, or stopped sending, within the verifier's time limits. */
export class FetchTimeoutError extends BaseError {
  override name = 'FetchTimeoutError'
}

/** The model is larger than the verifier's cap; the download was cut off there. */
export class ModelTooLargeError extends BaseError {
  override name = 'ModelTooLargeError'
}

/** The model server answered, but not with the model (an HTTP error, too many redirects). */
export class ModelFetchError extends BaseError {
  override name = 'ModelFetchError'
}

/** A training config above the verifier's size caps: refused before anything is allocated. */
export class ConfigLimitError extends BaseError {
  override name = 'ConfigLimitError'
}
