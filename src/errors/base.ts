/**
 * Every error Lockstep raises: a short message a visitor can read, optional details for those who
 * ask, what they can do about it (`metaMessages`), where the docs explain it (`docsPath`), and the
 * cause chain. Modelled on viem's BaseError; the UI shows these fields (src/ui/ErrorNote.svelte), never
 * a guess at `message`.
 */
export interface BaseErrorOptions {
  details?: string
  /** What the visitor can do about it, one line each. */
  metaMessages?: string[]
  /** The page in this repository that explains it, e.g. `docs/chain.md#the-anchor-queue`. */
  docsPath?: string
  cause?: unknown
}

export class BaseError extends Error {
  override name = 'LockstepError'
  readonly shortMessage: string
  readonly details: string | undefined
  readonly metaMessages: string[] | undefined
  readonly docsPath: string | undefined

  constructor(shortMessage: string, options: BaseErrorOptions = {}) {
    const message = [
      shortMessage,
      ...(options.metaMessages?.length ? ['', ...options.metaMessages] : []),
      ...(options.docsPath ? ['', `Docs: ${options.docsPath}`] : []),
      ...(options.details ? ['', `Details: ${options.details}`] : []),
    ].join('\n')
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.shortMessage = shortMessage
    this.details = options.details
    this.metaMessages = options.metaMessages
    this.docsPath = options.docsPath
  }
}
