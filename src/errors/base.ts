/**
 * Every error Lockstep raises: a short message a visitor can read, optional details for those who
 * ask, and the cause chain. Modelled on viem's BaseError.
 */
export class BaseError extends Error {
  override name = 'LockstepError'
  readonly shortMessage: string
  readonly details: string | undefined

  constructor(shortMessage: string, options: { details?: string; cause?: unknown } = {}) {
    const message = options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.shortMessage = shortMessage
    this.details = options.details
  }
}
